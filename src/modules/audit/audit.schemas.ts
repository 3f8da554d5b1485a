import { type Static, Type } from 'typebox';
import { SLUG_PATTERN, UUID_PATTERN } from '../../lib/identifiers.js';
import { PageQuery, Timestamp, Uuid } from '../../lib/schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const AuditEventView = Type.Object({
  id: Uuid('Event id'),
  chain: Type.String({ description: 'The tenant id, or "platform"' }),
  seq: Type.Integer({ minimum: 1, description: 'Position in the chain: 1, 2, 3 … without gaps' }),
  tenantId: Type.Union([Uuid(), Type.Null()]),
  occurredAt: Timestamp,
  actor: Type.Object({
    type: Type.Union([Type.Literal('api_key'), Type.Literal('system'), Type.Literal('person')]),
    id: Type.Union([Uuid(), Type.Null()], { description: 'The API key id, or the person id' }),
    name: Type.String(),
    person: Type.Optional(
      Type.Object(
        {
          issuer: Type.String(),
          subject: Type.String(),
          email: Nullable(Type.String()),
          name: Nullable(Type.String()),
          roles: Type.Array(Type.String(), { description: 'The roles of the session the person acted in' }),
        },
        { description: 'Only when the actor is a person signed in to the console' },
      ),
    ),
  }),
  action: Type.String({ examples: ['org.created'] }),
  target: Type.Object({ type: Type.String(), id: Type.String() }),
  orgId: Type.Union([Uuid(), Type.Null()]),
  requestId: Nullable(Type.String()),
  sourceIp: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  outcome: Type.String(),
  diff: Type.Object(
    { before: Type.Optional(Type.Unknown()), after: Type.Optional(Type.Unknown()) },
    { description: 'What changed; secrets appear only as fingerprints' },
  ),
  prevHash: Type.String({ description: 'hash of the previous event of the chain (64 zeros for the first)' }),
  hash: Type.String({ description: 'SHA-256 of the canonical serialisation of this event (see README)' }),
});

export const AuditFilterQuery = {
  org: Type.Optional(
    Type.String({
      pattern: `(${UUID_PATTERN})|(${SLUG_PATTERN})`,
      maxLength: 63,
      description: 'Org id or slug',
    }),
  ),
  actor: Type.Optional(Uuid('Id of the actor: an API key id or a person id')),
  action: Type.Optional(
    Type.String({
      pattern: '^[a-z_]+(\\.[a-z_]*)?$',
      maxLength: 64,
      description: 'Action or its prefix, e.g. "org." or "org.created"',
    }),
  ),
  targetType: Type.Optional(Type.String({ pattern: '^[a-z_]{1,40}$' })),
  targetId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
};

export const ListAuditEventsQuery = Type.Object(
  { ...PageQuery, ...AuditFilterQuery },
  { additionalProperties: false },
);
export type ListAuditEventsQuery = Static<typeof ListAuditEventsQuery>;

export const ExportAuditEventsQuery = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal('ndjson'), Type.Literal('csv')], { default: 'ndjson' })),
    ...AuditFilterQuery,
  },
  { additionalProperties: false },
);
export type ExportAuditEventsQuery = Static<typeof ExportAuditEventsQuery>;

export const VerifyQuery = Type.Object(
  {
    fromSeq: Type.Optional(Type.Integer({ minimum: 1 })),
    toSeq: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

/** What verify found when it checked the chain against its signed checkpoints (issue 21). */
export const CheckpointCheckView = Type.Object(
  {
    checked: Type.Integer({ description: 'Checkpoints of the chain looked at' }),
    newestSigned: Type.Union([
      Type.Object({ seq: Type.Integer(), signedAt: Timestamp, keyId: Type.String() }),
      Type.Null(),
    ]),
    problems: Type.Array(
      Type.Object({
        kind: Type.Union([Type.Literal('truncated'), Type.Literal('rewritten'), Type.Literal('forged')], {
          description:
            'truncated: the chain ends before a signed head (its newest events were removed); rewritten: the event at a signed seq has another hash; forged: a checkpoint whose signature does not verify with a known key',
        }),
        checkpointId: Uuid(),
        seq: Type.Integer(),
        detail: Type.String({
          description: 'A sentence naming the chain and, for truncation, the missing range',
        }),
      }),
      { description: 'At most 20; problemCount says how many there were' },
    ),
    problemCount: Type.Integer(),
  },
  { description: 'The chain checked against its signed checkpoints (README, "Signed checkpoints")' },
);
export type CheckpointCheckView = Static<typeof CheckpointCheckView>;

export const VerifyView = Type.Object({
  ok: Type.Boolean({ description: 'The chain is intact and agrees with every signed checkpoint' }),
  chain: Type.String({ description: 'The tenant id, or "platform"' }),
  checked: Type.Integer({ description: 'Events recomputed' }),
  firstMismatch: Type.Union([
    Type.Object({
      seq: Type.Integer(),
      id: Uuid(),
      reason: Type.Union([Type.Literal('hash'), Type.Literal('link'), Type.Literal('gap')]),
      detail: Type.String(),
    }),
    Type.Null(),
  ]),
  checkpoints: CheckpointCheckView,
  verifiedAt: Timestamp,
});
