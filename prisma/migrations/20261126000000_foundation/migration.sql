-- Foundation: tenants, API keys, orgs, Cognigy targets, envelope-encryption keys, idempotency.
-- Hand-written in the shape `prisma migrate dev` produces for prisma/schema.prisma, plus what
-- Prisma cannot express (CHECK constraints, partial unique index), marked "not in schema".

-- CreateTable
CREATE TABLE "tenants" (
    "id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "allow_self_approval" BOOLEAN NOT NULL DEFAULT false,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tenant_secret_keys" (
    "tenant_id" UUID NOT NULL,
    "master_key_id" TEXT NOT NULL,
    "wrapped_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rewrapped_at" TIMESTAMPTZ(3),

    CONSTRAINT "tenant_secret_keys_pkey" PRIMARY KEY ("tenant_id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "tenant_id" UUID,
    "kind" TEXT NOT NULL DEFAULT 'tenant',
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "secret_hash" BYTEA NOT NULL,
    "roles" TEXT[],
    "org_scope" UUID[] DEFAULT ARRAY[]::UUID[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by_id" UUID,
    "expires_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "revoked_by_id" UUID,

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "orgs" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "revision" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "archived_at" TIMESTAMPTZ(3),

    CONSTRAINT "orgs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "org_data_keys" (
    "org_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "master_key_id" TEXT NOT NULL,
    "wrapped_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rewrapped_at" TIMESTAMPTZ(3),

    CONSTRAINT "org_data_keys_pkey" PRIMARY KEY ("org_id")
);

-- CreateTable
CREATE TABLE "cognigy_targets" (
    "org_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "api_base" TEXT NOT NULL,
    "api_key_sealed" TEXT NOT NULL,
    "api_key_fingerprint" TEXT NOT NULL,
    "organisation_id" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_by_id" UUID,

    CONSTRAINT "cognigy_targets_pkey" PRIMARY KEY ("org_id")
);

-- CreateTable
CREATE TABLE "idempotency_records" (
    "id" UUID NOT NULL,
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "status_code" INTEGER,
    "master_key_id" TEXT,
    "response_sealed" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_records_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tenants_slug_key" ON "tenants"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys"("prefix");

-- CreateIndex
CREATE INDEX "api_keys_tenant_id_created_at_id_idx" ON "api_keys"("tenant_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "orgs_tenant_id_slug_id_idx" ON "orgs"("tenant_id", "slug", "id");

-- CreateIndex
CREATE UNIQUE INDEX "idempotency_records_scope_key_key" ON "idempotency_records"("scope", "key");

-- CreateIndex
CREATE INDEX "idempotency_records_expires_at_idx" ON "idempotency_records"("expires_at");

-- AddForeignKey
ALTER TABLE "tenant_secret_keys" ADD CONSTRAINT "tenant_secret_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "orgs" ADD CONSTRAINT "orgs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "org_data_keys" ADD CONSTRAINT "org_data_keys_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cognigy_targets" ADD CONSTRAINT "cognigy_targets_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Not in schema: slugs are unique among a tenant's active orgs; an archived org frees its slug.
CREATE UNIQUE INDEX "orgs_tenant_id_slug_active_key" ON "orgs"("tenant_id", "slug") WHERE "archived_at" IS NULL;

-- Not in schema: labels are matched with @> (containment).
CREATE INDEX "orgs_labels_idx" ON "orgs" USING GIN ("labels" jsonb_path_ops);

-- Not in schema: shapes the application also checks, enforced where a hand-typed statement cannot skip them.
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_slug_check" CHECK ("slug" ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$');
ALTER TABLE "orgs" ADD CONSTRAINT "orgs_slug_check" CHECK ("slug" ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$');
ALTER TABLE "orgs" ADD CONSTRAINT "orgs_labels_check" CHECK (jsonb_typeof("labels") = 'object');
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_kind_check" CHECK (("kind" = 'platform' AND "tenant_id" IS NULL) OR ("kind" = 'tenant' AND "tenant_id" IS NOT NULL));
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_roles_check" CHECK ("roles" <@ ARRAY['admin', 'editor', 'approver', 'auditor', 'platform_admin']::TEXT[]);

-- Not in schema: a row that names an org also names the org's own tenant, never another one.
CREATE UNIQUE INDEX "orgs_id_tenant_id_key" ON "orgs"("id", "tenant_id");
ALTER TABLE "org_data_keys" ADD CONSTRAINT "org_data_keys_org_tenant_fkey" FOREIGN KEY ("org_id", "tenant_id") REFERENCES "orgs"("id", "tenant_id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "cognigy_targets" ADD CONSTRAINT "cognigy_targets_org_tenant_fkey" FOREIGN KEY ("org_id", "tenant_id") REFERENCES "orgs"("id", "tenant_id") ON DELETE RESTRICT ON UPDATE CASCADE;
