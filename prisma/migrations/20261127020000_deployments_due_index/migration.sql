-- Not in schema (a partial index): the deployments a worker may claim, in the order it claims them.
-- With (state, not_before) alone, every claim read and sorted all pending deployments to order
-- them by (not_before, created_at): 6.0 ms per claim at 10,000 pending, 0.7 ms with this index,
-- which the claim walks in order and leaves after its LIMIT (issue 7).
CREATE INDEX "deployments_due_idx" ON "deployments"("not_before", "created_at") WHERE "state" = 'pending';
