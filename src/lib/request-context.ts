/**
 * Who made a change and from where: recorded with the change in the audit trail, never used for
 * decisions.
 */
/** A person signed in to the console, as the trail names them (issue 20). */
export interface PersonIdentity {
  readonly issuer: string;
  readonly subject: string;
  readonly email: string | null;
  readonly name: string | null;
  /** The roles of the session the person acted in. */
  readonly roles: string[];
}

/**
 * Who acted: an API key, the service itself, or a person in a console session. `person` is set
 * exactly when the type is `person` (and only then is it part of the event's hash).
 */
export interface Actor {
  readonly type: 'api_key' | 'system' | 'person';
  readonly id: string | null;
  readonly name: string;
  readonly person?: PersonIdentity;
}

export interface ChangeContext {
  readonly actor: Actor;
  readonly requestId: string | null;
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
  /** The Idempotency-Key record of the request, when it sent one: its change is noted there. */
  readonly idempotencyRecordId?: string | undefined;
}

/** Changes made by the service itself (rotation, workers). */
export const systemContext = (what: string): ChangeContext => ({
  actor: { type: 'system', id: null, name: `system (${what})` },
  requestId: null,
  sourceIp: null,
  userAgent: null,
});
