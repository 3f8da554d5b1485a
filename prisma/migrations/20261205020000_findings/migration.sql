-- Issue 17: findings of the watch, and what the watch remembers of each identity provider between
-- rounds.
CREATE TABLE "findings" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "severity_rank" INTEGER NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'open',
    "summary" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "evidence" JSONB NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "findings_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "findings_tenant_id_state_severity_rank_id_idx" ON "findings"("tenant_id", "state", "severity_rank" DESC, "id" DESC);
CREATE INDEX "findings_org_id_state_idx" ON "findings"("org_id", "state");

ALTER TABLE "findings" ADD CONSTRAINT "findings_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "findings" ADD CONSTRAINT "findings_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Not in schema: one open finding per org, kind and subject (a second round sees it again instead of
-- opening another); the severities and their order; resolved exactly when resolved_at is set.
CREATE UNIQUE INDEX "findings_open_key" ON "findings"("org_id", "kind", "subject") WHERE "state" = 'open';
ALTER TABLE "findings" ADD CONSTRAINT "findings_severity_check" CHECK (("severity", "severity_rank") IN (('info', 1), ('warning', 2), ('critical', 3)));
ALTER TABLE "findings" ADD CONSTRAINT "findings_state_check" CHECK ("state" IN ('open', 'resolved') AND ("state" = 'resolved') = ("resolved_at" IS NOT NULL));

-- One row per issuer the watch has fetched: how its last rounds went, so that a network problem
-- opens a finding only on the second failing round in a row. Holds no tenant data beyond the URL.
CREATE TABLE "watched_issuers" (
    "issuer" TEXT NOT NULL,
    "failing_rounds" INTEGER NOT NULL DEFAULT 0,
    "failing_since" TIMESTAMPTZ(3),
    "last_round" TEXT,
    "last_checked_at" TIMESTAMPTZ(3) NOT NULL,
    "last_outcome" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "watched_issuers_pkey" PRIMARY KEY ("issuer")
);
