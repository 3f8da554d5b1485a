-- When a request sent with an Idempotency-Key made its change: set in the change's own transaction
-- (so it is true exactly when the change committed), while the response is stored only afterwards.
-- A retry of a request whose change is made but whose response was never stored (the process died
-- in between, or the answer was a 5xx after the commit) is told so (409 IDEMPOTENCY_RESPONSE_LOST)
-- instead of being run a second time.
ALTER TABLE "idempotency_records" ADD COLUMN "change_made_at" TIMESTAMPTZ(3);
