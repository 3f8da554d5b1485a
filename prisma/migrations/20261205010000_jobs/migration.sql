-- Issue 17: one durable job queue for background work that is not a deployment (the watch's rounds
-- first; webhook deliveries next). A job is named by its queue and a key: enqueueing a key that is
-- already there does nothing, so several replicas may all try to schedule the same round and only
-- one job exists. A worker claims due jobs with FOR UPDATE SKIP LOCKED under a lease; a lease that
-- runs out (the worker died) makes the job claimable again, until its attempts are used up.
CREATE TABLE "jobs" (
    "id" UUID NOT NULL,
    "queue" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER NOT NULL DEFAULT 5,
    "run_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lease_owner" TEXT,
    "lease_expires_at" TIMESTAMPTZ(3),
    "last_error" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "jobs_queue_key_key" ON "jobs"("queue", "key");
CREATE INDEX "jobs_state_run_at_idx" ON "jobs"("state", "run_at");

-- Not in schema: the states, and a lease exactly while running.
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_state_check" CHECK ("state" IN ('pending', 'running', 'done', 'failed'));
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_lease_check" CHECK (("state" = 'running') = ("lease_owner" IS NOT NULL AND "lease_expires_at" IS NOT NULL));
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_attempts_check" CHECK ("attempts" >= 0 AND "max_attempts" >= 1);
