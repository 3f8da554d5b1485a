-- Issue 17: per-org settings of the watch. The credential probe (a token request with the
-- version's client id and secret, to learn whether the IdP still accepts them) is off unless an
-- admin turns it on for the org; it runs at most once per WATCH_PROBE_INTERVAL_SECONDS per org.
CREATE TABLE "watch_settings" (
    "org_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "credential_probe" BOOLEAN NOT NULL DEFAULT false,
    "last_probed_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_by_id" UUID,

    CONSTRAINT "watch_settings_pkey" PRIMARY KEY ("org_id")
);

ALTER TABLE "watch_settings" ADD CONSTRAINT "watch_settings_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "watch_settings" ADD CONSTRAINT "watch_settings_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
