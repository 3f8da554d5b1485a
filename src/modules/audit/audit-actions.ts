/**
 * Every action the audit trail knows (`noun.past_tense`), the type of thing it is about and what its
 * diff records. Types only: the events stored so far hold exactly these shapes, and an event's hash
 * covers its diff, so a shape here may be described more precisely but never written differently.
 * Diffs of API views carry secrets only as fingerprints.
 */
import type { ExportAuditEventsQuery } from './audit.schemas.js';

/** The diff of a thing created: its view. */
export interface Created<View> {
  readonly after: View;
}

/** The top-level fields that changed, before and after (`changes` in diff.ts). */
export interface Changes<View> {
  readonly before: Partial<View>;
  readonly after: Partial<View>;
}

/**
 * Action → the type of its target and its diff. Each module declares its own actions here by module
 * augmentation (its `*.audit.ts`), so the trail knows every action's shape without importing the
 * modules that write them: they call the trail, never the other way round (the import rules).
 */
export interface AuditActions {
  'audit.exported': {
    target: 'audit_trail';
    diff: Created<{
      readonly format: NonNullable<ExportAuditEventsQuery['format']>;
      readonly filters: Omit<ExportAuditEventsQuery, 'format'>;
    }>;
  };
}

export type AuditAction = keyof AuditActions;

/** What a change records of `action`; the trail adds chain, sequence, time and hashes. */
export interface AuditEntryOf<A extends AuditAction> {
  readonly tenantId: string | null;
  readonly action: A;
  readonly target: { readonly type: AuditActions[A]['target']; readonly id: string };
  readonly orgId?: string | null;
  readonly diff: AuditActions[A]['diff'];
  readonly outcome?: 'success';
}

/** What a change records: one of the actions, with the target type and diff of that action. */
export type AuditEntry = { [A in AuditAction]: AuditEntryOf<A> }[AuditAction];
