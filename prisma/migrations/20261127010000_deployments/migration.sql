-- Deployments (§6): the outbox of approved versions to forward to Cognigy, claimed by workers with
-- FOR UPDATE SKIP LOCKED and a lease, and every attempt made. Hand-written in the shape
-- `prisma migrate dev` produces, plus what Prisma cannot express, marked "not in schema".

-- CreateTable
CREATE TABLE "deployments" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "version_number" INTEGER NOT NULL,
    "content_hash" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "not_before" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "first_attempt_at" TIMESTAMPTZ(3),
    "lease_owner" TEXT,
    "lease_expires_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "last_error" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployment_attempts" (
    "id" UUID NOT NULL,
    "deployment_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "worker" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,
    "http_status" INTEGER,
    "trace_id" TEXT,
    "error" JSONB,

    CONSTRAINT "deployment_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "deployments_org_id_created_at_idx" ON "deployments"("org_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "deployments_state_not_before_idx" ON "deployments"("state", "not_before");

-- CreateIndex
CREATE UNIQUE INDEX "deployment_attempts_deployment_id_number_key" ON "deployment_attempts"("deployment_id", "number");

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "sso_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment_attempts" ADD CONSTRAINT "deployment_attempts_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Not in schema: the shapes the service writes.
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_state_check" CHECK ("state" IN ('pending', 'in_flight', 'succeeded', 'failed', 'superseded'));
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_lease_check" CHECK (("state" = 'in_flight') = ("lease_owner" IS NOT NULL AND "lease_expires_at" IS NOT NULL));
ALTER TABLE "deployment_attempts" ADD CONSTRAINT "deployment_attempts_outcome_check" CHECK ("outcome" IN ('success', 'refused', 'retryable', 'network', 'timeout', 'skipped'));

-- Not in schema: per org at most one deployment in flight (§6), whatever the number of workers.
CREATE UNIQUE INDEX "deployments_one_in_flight_per_org" ON "deployments"("org_id") WHERE "state" = 'in_flight';

-- Not in schema: attempts are a record, never rewritten.
CREATE FUNCTION "deployment_attempts_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'deployment_attempts is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "deployment_attempts_append_only"
  BEFORE UPDATE OR DELETE ON "deployment_attempts"
  FOR EACH ROW EXECUTE FUNCTION "deployment_attempts_refuse_change"();
