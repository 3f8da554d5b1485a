-- Audit trail (§7): append-only, hash-chained per tenant.

-- CreateTable
CREATE TABLE "audit_events" (
    "id" UUID NOT NULL,
    "chain" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "tenant_id" UUID,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "actor_type" TEXT NOT NULL,
    "actor_id" UUID,
    "actor_name" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "org_id" UUID,
    "request_id" TEXT,
    "source_ip" TEXT,
    "user_agent" TEXT,
    "outcome" TEXT NOT NULL,
    "diff" JSONB NOT NULL,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "audit_events_chain_seq_key" ON "audit_events"("chain", "seq");

-- CreateIndex
CREATE INDEX "audit_events_tenant_id_org_id_seq_idx" ON "audit_events"("tenant_id", "org_id", "seq" DESC);

-- CreateIndex
CREATE INDEX "audit_events_tenant_id_actor_id_seq_idx" ON "audit_events"("tenant_id", "actor_id", "seq" DESC);

-- CreateIndex
CREATE INDEX "audit_events_tenant_id_action_seq_idx" ON "audit_events"("tenant_id", "action", "seq" DESC);

-- CreateIndex
CREATE INDEX "audit_events_tenant_id_occurred_at_idx" ON "audit_events"("tenant_id", "occurred_at");

-- Not in schema: the shape of what is recorded.
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_seq_check" CHECK ("seq" >= 1);
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_actor_type_check" CHECK ("actor_type" IN ('api_key', 'system'));
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_chain_check" CHECK ("chain" = 'platform' OR "chain" = "tenant_id"::text);
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_hash_check" CHECK ("hash" ~ '^[0-9a-f]{64}$' AND "prev_hash" ~ '^[0-9a-f]{64}$');

-- Not in schema: append-only. No role that goes through this table, the service's included, can
-- rewrite history; only a superuser who disables the trigger can, and /v1/audit-events/verify
-- then names the first event that no longer matches its hash.
CREATE FUNCTION "audit_events_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "audit_events_no_update_delete"
  BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION "audit_events_refuse_change"();

CREATE TRIGGER "audit_events_no_truncate"
  BEFORE TRUNCATE ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_refuse_change"();
