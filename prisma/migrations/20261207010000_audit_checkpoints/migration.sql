-- Issue 21: signed checkpoints of the audit trail. A checkpoint is an Ed25519 signature over a chain's
-- head (chain, seq, hash, time, key id); the public keys of every key that ever signed stay here, so
-- old checkpoints remain verifiable after a rotation. Both tables are append-only, like audit_events:
-- the service only ever inserts and reads them (the runtime role holds only SELECT and INSERT on
-- tables named audit_*).

CREATE TABLE "audit_signing_keys" (
    "kid" TEXT NOT NULL,
    "public_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_signing_keys_pkey" PRIMARY KEY ("kid")
);

CREATE TABLE "audit_checkpoints" (
    "id" UUID NOT NULL,
    "chain" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "signed_at" TIMESTAMPTZ(3) NOT NULL,
    "key_id" TEXT NOT NULL,
    "signature" TEXT NOT NULL,

    CONSTRAINT "audit_checkpoints_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "audit_checkpoints_chain_id_idx" ON "audit_checkpoints"("chain", "id" DESC);
CREATE INDEX "audit_checkpoints_chain_seq_idx" ON "audit_checkpoints"("chain", "seq" DESC);

-- Not in schema: the shapes (an Ed25519 public key and signature in base64url; a kid is the key's
-- RFC 7638 thumbprint, also base64url), and no foreign key from checkpoints to keys: a checkpoint
-- naming an unknown key must be storable so that verification can report it as forged.
ALTER TABLE "audit_signing_keys" ADD CONSTRAINT "audit_signing_keys_shape_check"
  CHECK ("kid" ~ '^[A-Za-z0-9_-]{1,64}$' AND "public_key" ~ '^[A-Za-z0-9_-]{43}$');
ALTER TABLE "audit_checkpoints" ADD CONSTRAINT "audit_checkpoints_shape_check"
  CHECK ("seq" >= 1 AND "hash" ~ '^[0-9a-f]{64}$' AND "signature" ~ '^[A-Za-z0-9_-]{86}$');

-- Not in schema: append-only.
CREATE FUNCTION "audit_append_only_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "audit_signing_keys_no_update_delete"
  BEFORE UPDATE OR DELETE ON "audit_signing_keys"
  FOR EACH ROW EXECUTE FUNCTION "audit_append_only_refuse_change"();
CREATE TRIGGER "audit_signing_keys_no_truncate"
  BEFORE TRUNCATE ON "audit_signing_keys"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_append_only_refuse_change"();
CREATE TRIGGER "audit_checkpoints_no_update_delete"
  BEFORE UPDATE OR DELETE ON "audit_checkpoints"
  FOR EACH ROW EXECUTE FUNCTION "audit_append_only_refuse_change"();
CREATE TRIGGER "audit_checkpoints_no_truncate"
  BEFORE TRUNCATE ON "audit_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_append_only_refuse_change"();
