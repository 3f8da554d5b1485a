-- GET …/sso reads an org's deployment in flight and the one waiting (issue 15). With the index on
-- (state, not_before) there, the planner looked both up by state and filtered by org: after a
-- rollout every deployment has passed through pending and in_flight, so most entries of those
-- states are dead rows until a vacuum (125 buffers for one org's lookups on 10,000 orgs, and twice
-- the PostgreSQL CPU per GET …/sso in bench:load). Per-org lookups go through per-org indexes: the
-- in-flight one exists (deployments_one_in_flight_per_org); pending gets one here (not in schema: a
-- partial index). Nothing needs (state, not_before) any more: the claim walks deployments_due_idx
-- and the queue depth counts on the two partial indexes. (IF [NOT] EXISTS: it can run twice, as
-- bench/ab.sh needs when it lets the previous build run on the same database.)
DROP INDEX IF EXISTS "deployments_state_not_before_idx";
CREATE INDEX IF NOT EXISTS "deployments_pending_per_org_idx" ON "deployments"("org_id", "created_at" DESC) WHERE "state" = 'pending';
