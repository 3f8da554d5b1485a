-- Two more outcomes of a call to Cognigy (issue 15), so that the trail shows every call that may have
-- reached Cognigy: `interrupted` (cut off by a graceful stop, sent again at once) and `unknown` (the
-- worker's lease ran out mid-call: killed or hung; recorded by the worker that reclaims it).
ALTER TABLE "deployment_attempts" DROP CONSTRAINT "deployment_attempts_outcome_check";
ALTER TABLE "deployment_attempts" ADD CONSTRAINT "deployment_attempts_outcome_check" CHECK ("outcome" IN ('success', 'refused', 'retryable', 'network', 'timeout', 'skipped', 'interrupted', 'unknown'));
