import { type Static, Type } from 'typebox';
import { literals, NullableTimestamp, PageQuery, Timestamp, Uuid } from '../../lib/schemas.js';
import { FINDING_KINDS, SEVERITIES } from './finding-kinds.js';

export const FindingView = Type.Object({
  id: Uuid('Finding id'),
  org: Type.Object({ id: Uuid('Org id'), slug: Type.String() }),
  kind: literals(FINDING_KINDS, { description: 'What went wrong' }),
  subject: Type.String({
    description: 'What it is about: an issuer URL, a certificate (sha256 prefix), a version',
  }),
  severity: literals(SEVERITIES),
  state: literals(['open', 'resolved'] as const),
  summary: Type.String({ description: 'A sentence a person understands' }),
  action: Type.String({ description: 'What to do about it' }),
  evidence: Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    additionalProperties: true,
    description: 'What was expected, what was seen, and when (never a secret)',
  }),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  resolvedAt: NullableTimestamp,
});
export type FindingView = Static<typeof FindingView>;

const filters = {
  kind: Type.Optional(literals(FINDING_KINDS)),
  severity: Type.Optional(literals(SEVERITIES)),
  state: Type.Optional(literals(['open', 'resolved'] as const, { description: 'Both when absent' })),
};

export const ListFindingsQuery = Type.Object(
  {
    ...PageQuery,
    org: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Org id or slug' })),
    ...filters,
  },
  { additionalProperties: false },
);
export type ListFindingsQuery = Static<typeof ListFindingsQuery>;

export const ListOrgFindingsQuery = Type.Object(
  { ...PageQuery, ...filters },
  { additionalProperties: false },
);
export type ListOrgFindingsQuery = Static<typeof ListOrgFindingsQuery>;
