/**
 * Who made a change and from where: recorded with the change in the audit trail, never used for
 * decisions.
 */
export interface ChangeContext {
  readonly actor: { readonly type: 'api_key' | 'system'; readonly id: string | null; readonly name: string };
  readonly requestId: string | null;
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
}

/** Changes made by the service itself (rotation, workers). */
export const systemContext = (what: string): ChangeContext => ({
  actor: { type: 'system', id: null, name: `system (${what})` },
  requestId: null,
  sourceIp: null,
  userAgent: null,
});
