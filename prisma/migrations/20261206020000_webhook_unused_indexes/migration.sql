-- Issue 18: two indexes no query uses, dropped because every change that has webhook events pays for
-- them (bench:webhooks, the outbox's cost in a transaction): deliveries are read by endpoint, never by
-- event, and events only through their deliveries.
DROP INDEX "webhook_deliveries_event_id_idx";
DROP INDEX "webhook_events_tenant_id_created_at_idx";
