-- Issue 18: every change with webhook events writes an event and a delivery per endpoint in its own
-- transaction, and each foreign key is a trigger run per row (bench:webhooks: the outbox's cost in a
-- transaction). Three checks are dropped, as nothing they guard can happen: tenants are never
-- deleted, and events never either; a delivery's tenant is its endpoint's, and its event is written by
-- the same statement (the outbox) or read from an existing delivery (redelivery). The delivery's
-- endpoint stays a foreign key (deleting an endpoint deletes its deliveries).
ALTER TABLE "webhook_events" DROP CONSTRAINT "webhook_events_tenant_id_fkey";
ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "webhook_deliveries_tenant_id_fkey";
ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "webhook_deliveries_event_id_fkey";
