-- Issue 19: plans of SSO as code. A plan says what applying a desired-state document would do to
-- each org it selects; it is kept for PLAN_TTL_SECONDS (expired plans are deleted when the tenant
-- next plans). Secrets given in the document are sealed with the tenant's data key inside `drafts`.
-- `orgs`, `drafts` and `result` are json, not jsonb: megabytes for a plan of thousands of orgs, written
-- and read whole, never queried inside (jsonb's parse made a 1,000-org plan's insert take 1.5 s).
CREATE TABLE "plans" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "hash" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'planned',
    "org_ids" UUID[],
    "totals" JSONB NOT NULL,
    "orgs" JSON NOT NULL,
    "errors" JSONB NOT NULL DEFAULT '[]',
    "drafts" JSON NOT NULL,
    "result" JSON,
    "created_by_id" UUID NOT NULL,
    "created_by_name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "applied_by_id" UUID,
    "applied_by_name" TEXT,
    "applied_at" TIMESTAMPTZ(3),

    CONSTRAINT "plans_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "plans_tenant_id_expires_at_idx" ON "plans"("tenant_id", "expires_at");
CREATE INDEX "plans_expires_at_idx" ON "plans"("expires_at");

ALTER TABLE "plans" ADD CONSTRAINT "plans_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
