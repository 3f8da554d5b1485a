-- SSO versions (§4): immutable, numbered per org, with their validation reports and review state.
-- Hand-written in the shape `prisma migrate dev` produces, plus what Prisma cannot express
-- (CHECK constraints and the triggers that keep versions immutable), marked "not in schema".

-- AlterTable
ALTER TABLE "tenants" ADD COLUMN "allow_rollback_approval" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "sso_versions" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "content" JSONB NOT NULL,
    "client_secret_sealed" TEXT,
    "client_secret_fingerprint" TEXT,
    "client_secret_changed_in" INTEGER,
    "decryption_key_sealed" TEXT,
    "decryption_key_fingerprint" TEXT,
    "decryption_key_changed_in" INTEGER,
    "content_hash" TEXT NOT NULL,
    "base_version" INTEGER,
    "rollback_of" INTEGER,
    "bulk_id" UUID,
    "note" TEXT,
    "created_by_id" UUID,
    "created_by_name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "review_state" TEXT NOT NULL DEFAULT 'draft',
    "reviewed_by_id" UUID,
    "reviewed_by_name" TEXT,
    "reviewed_at" TIMESTAMPTZ(3),
    "review_comment" TEXT,
    "override_reason" TEXT,
    "self_approved" BOOLEAN NOT NULL DEFAULT false,
    "approved_hash" TEXT,
    "superseded_by" INTEGER,
    "superseded_at" TIMESTAMPTZ(3),

    CONSTRAINT "sso_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sso_validations" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "report" JSONB NOT NULL,
    "checked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "requested_by_id" UUID,
    "requested_by_name" TEXT NOT NULL,

    CONSTRAINT "sso_validations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "sso_versions_org_id_number_key" ON "sso_versions"("org_id", "number");

-- CreateIndex
CREATE INDEX "sso_versions_org_id_review_state_number_idx" ON "sso_versions"("org_id", "review_state", "number");

-- CreateIndex
CREATE INDEX "sso_validations_version_id_checked_at_idx" ON "sso_validations"("version_id", "checked_at" DESC);

-- AddForeignKey
ALTER TABLE "sso_versions" ADD CONSTRAINT "sso_versions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sso_versions" ADD CONSTRAINT "sso_versions_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sso_validations" ADD CONSTRAINT "sso_validations_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "sso_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Not in schema: the shapes the service writes, enforced where a hand-typed statement cannot skip them.
ALTER TABLE "sso_versions" ADD CONSTRAINT "sso_versions_number_check" CHECK ("number" >= 1);
ALTER TABLE "sso_versions" ADD CONSTRAINT "sso_versions_kind_check" CHECK ("kind" IN ('oidc', 'saml', 'disabled'));
-- Numbering has no gaps: a draft is always based on the org's newest version.
ALTER TABLE "sso_versions" ADD CONSTRAINT "sso_versions_base_check"
  CHECK (("number" = 1 AND "base_version" IS NULL) OR "base_version" = "number" - 1);
ALTER TABLE "sso_versions" ADD CONSTRAINT "sso_versions_rollback_check" CHECK ("rollback_of" IS NULL OR ("rollback_of" >= 1 AND "rollback_of" < "number"));
ALTER TABLE "sso_versions" ADD CONSTRAINT "sso_versions_review_state_check" CHECK ("review_state" IN ('draft', 'approved', 'rejected', 'superseded'));
ALTER TABLE "sso_versions" ADD CONSTRAINT "sso_versions_hash_check" CHECK ("content_hash" ~ '^sha256:[0-9a-f]{64}$' AND ("approved_hash" IS NULL OR "approved_hash" = "content_hash"));
ALTER TABLE "sso_versions" ADD CONSTRAINT "sso_versions_client_secret_check" CHECK (("client_secret_sealed" IS NULL) = ("client_secret_fingerprint" IS NULL) AND ("client_secret_sealed" IS NULL) = ("client_secret_changed_in" IS NULL));
ALTER TABLE "sso_versions" ADD CONSTRAINT "sso_versions_decryption_key_check" CHECK (("decryption_key_sealed" IS NULL) = ("decryption_key_fingerprint" IS NULL) AND ("decryption_key_sealed" IS NULL) = ("decryption_key_changed_in" IS NULL));
ALTER TABLE "sso_validations" ADD CONSTRAINT "sso_validations_status_check" CHECK ("status" IN ('pass', 'warn', 'fail'));

-- Not in schema: a version is immutable. Its content, secrets, lineage and authorship never change;
-- only its review moves forward (draft → approved | rejected, approved → superseded), once, and a
-- review once written is never rewritten. Versions and validation reports are never deleted.
CREATE FUNCTION "sso_versions_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'sso_versions are never deleted: % is not allowed', TG_OP
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF (NEW."id", NEW."tenant_id", NEW."org_id", NEW."number", NEW."kind", NEW."content",
      NEW."client_secret_sealed", NEW."client_secret_fingerprint", NEW."client_secret_changed_in",
      NEW."decryption_key_sealed", NEW."decryption_key_fingerprint", NEW."decryption_key_changed_in",
      NEW."content_hash", NEW."base_version", NEW."rollback_of", NEW."bulk_id", NEW."note",
      NEW."created_by_id", NEW."created_by_name", NEW."created_at")
     IS DISTINCT FROM
     (OLD."id", OLD."tenant_id", OLD."org_id", OLD."number", OLD."kind", OLD."content",
      OLD."client_secret_sealed", OLD."client_secret_fingerprint", OLD."client_secret_changed_in",
      OLD."decryption_key_sealed", OLD."decryption_key_fingerprint", OLD."decryption_key_changed_in",
      OLD."content_hash", OLD."base_version", OLD."rollback_of", OLD."bulk_id", OLD."note",
      OLD."created_by_id", OLD."created_by_name", OLD."created_at") THEN
    RAISE EXCEPTION 'sso_versions are immutable: the content of version % cannot change', OLD."number"
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT ((OLD."review_state" = 'draft' AND NEW."review_state" IN ('approved', 'rejected'))
       OR (OLD."review_state" = 'approved' AND NEW."review_state" = 'superseded')) THEN
    RAISE EXCEPTION 'sso_versions review state cannot move from % to %', OLD."review_state", NEW."review_state"
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD."review_state" <> 'draft' AND (NEW."reviewed_by_id", NEW."reviewed_by_name", NEW."reviewed_at",
      NEW."review_comment", NEW."override_reason", NEW."self_approved", NEW."approved_hash")
     IS DISTINCT FROM (OLD."reviewed_by_id", OLD."reviewed_by_name", OLD."reviewed_at",
      OLD."review_comment", OLD."override_reason", OLD."self_approved", OLD."approved_hash") THEN
    RAISE EXCEPTION 'sso_versions: the review of version % is already written', OLD."number"
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "sso_versions_immutable"
  BEFORE UPDATE OR DELETE ON "sso_versions"
  FOR EACH ROW EXECUTE FUNCTION "sso_versions_guard"();

CREATE TRIGGER "sso_versions_no_truncate"
  BEFORE TRUNCATE ON "sso_versions"
  FOR EACH STATEMENT EXECUTE FUNCTION "sso_versions_guard"();

CREATE FUNCTION "sso_validations_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sso_validations is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "sso_validations_append_only"
  BEFORE UPDATE OR DELETE ON "sso_validations"
  FOR EACH ROW EXECUTE FUNCTION "sso_validations_refuse_change"();

CREATE TRIGGER "sso_validations_no_truncate"
  BEFORE TRUNCATE ON "sso_validations"
  FOR EACH STATEMENT EXECUTE FUNCTION "sso_validations_refuse_change"();
