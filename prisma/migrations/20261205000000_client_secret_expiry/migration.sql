-- Issue 17: the date an OIDC client secret expires at the identity provider (Entra secrets last
-- 24 months at most), recorded with the version's secret so that the watch can warn before it runs
-- out. Metadata of ours: never forwarded to Cognigy and not part of the content hash. It belongs to
-- the secret, so it is NULL when the version has no client secret, and like the secret it never
-- changes once the version is written (the guard below is the one of 20261127000000 with the new
-- column added to the immutable ones).
ALTER TABLE "sso_versions" ADD COLUMN "client_secret_expires_at" TIMESTAMPTZ(3);
ALTER TABLE "sso_versions" ADD CONSTRAINT "sso_versions_client_secret_expiry_check"
  CHECK ("client_secret_expires_at" IS NULL OR "client_secret_sealed" IS NOT NULL);

CREATE OR REPLACE FUNCTION "sso_versions_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'sso_versions are never deleted: % is not allowed', TG_OP
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF (NEW."id", NEW."tenant_id", NEW."org_id", NEW."number", NEW."kind", NEW."content",
      NEW."client_secret_sealed", NEW."client_secret_fingerprint", NEW."client_secret_changed_in", NEW."client_secret_expires_at",
      NEW."decryption_key_sealed", NEW."decryption_key_fingerprint", NEW."decryption_key_changed_in",
      NEW."content_hash", NEW."base_version", NEW."rollback_of", NEW."bulk_id", NEW."note",
      NEW."created_by_id", NEW."created_by_name", NEW."created_at")
     IS DISTINCT FROM
     (OLD."id", OLD."tenant_id", OLD."org_id", OLD."number", OLD."kind", OLD."content",
      OLD."client_secret_sealed", OLD."client_secret_fingerprint", OLD."client_secret_changed_in", OLD."client_secret_expires_at",
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
