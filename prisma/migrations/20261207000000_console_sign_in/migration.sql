-- Issue 20: people sign in to the console with their tenant's own identity provider.

-- The tenant's console login settings (one row per tenant that turned it on). The client secret is
-- sealed with the tenant's data key; only its fingerprint is ever shown.
CREATE TABLE "console_logins" (
    "tenant_id" UUID NOT NULL,
    "issuer" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "client_secret_sealed" TEXT NOT NULL,
    "client_secret_fingerprint" TEXT NOT NULL,
    "id_token_alg" TEXT NOT NULL,
    "groups_claim" TEXT NOT NULL,
    "role_mappings" JSONB NOT NULL,
    "allowed_email_domains" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "api_key_sign_in_allowed" BOOLEAN NOT NULL DEFAULT true,
    "validation" JSONB NOT NULL,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "console_logins_pkey" PRIMARY KEY ("tenant_id")
);
ALTER TABLE "console_logins" ADD CONSTRAINT "console_logins_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A sign-in under way: the state (stored as its SHA-256 only), the PKCE verifier and the nonce,
-- kept until the browser comes back (deleted on use: a state works once) or until it expires.
CREATE TABLE "console_sign_in_attempts" (
    "state_hash" BYTEA NOT NULL,
    "tenant_id" UUID NOT NULL,
    "code_verifier" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "return_to" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "console_sign_in_attempts_pkey" PRIMARY KEY ("state_hash")
);
CREATE INDEX "console_sign_in_attempts_expires_at_idx" ON "console_sign_in_attempts"("expires_at");
ALTER TABLE "console_sign_in_attempts" ADD CONSTRAINT "console_sign_in_attempts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A person who signed in: one stable id per (tenant, issuer, subject), the actor id of everything
-- they do (audit events, created_by_id of versions and keys).
CREATE TABLE "people" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "issuer" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "email" TEXT,
    "name" TEXT,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "people_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "people_tenant_id_issuer_subject_key" ON "people"("tenant_id", "issuer", "subject");
ALTER TABLE "people" ADD CONSTRAINT "people_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A console session. Only the SHA-256 of the random session id (the cookie's value) is stored; `id`
-- is a public name for lists and for ending it.
CREATE TABLE "console_sessions" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "person_id" UUID NOT NULL,
    "token_hash" BYTEA NOT NULL,
    "roles" TEXT[],
    "org_scope" UUID[] DEFAULT ARRAY[]::UUID[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "idle_expires_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "ended_reason" TEXT,
    "source_ip" TEXT,
    "user_agent" TEXT,

    CONSTRAINT "console_sessions_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "console_sessions_token_hash_key" ON "console_sessions"("token_hash");
CREATE INDEX "console_sessions_tenant_id_created_at_id_idx" ON "console_sessions"("tenant_id", "created_at" DESC, "id" DESC);
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "people"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- People in the trail: a third actor type, whose identity (issuer, subject, email, name, roles) is
-- kept as the exact JSON text that the event's hash covers. Events of other actors have none, and
-- their hash material is unchanged.
ALTER TABLE "audit_events" ADD COLUMN "actor_person" TEXT;
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_actor_type_check";
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_actor_type_check" CHECK ("actor_type" IN ('api_key', 'system', 'person'));
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_actor_person_check" CHECK (("actor_type" = 'person') = ("actor_person" IS NOT NULL));
