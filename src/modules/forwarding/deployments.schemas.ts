import { type Static, Type } from 'typebox';
import { literals, NullableTimestamp, PageQuery, Timestamp, Uuid } from '../../lib/schemas.js';
import { OrgRefParams } from '../orgs/orgs.schemas.js';

export const DEPLOYMENT_STATES = ['pending', 'in_flight', 'succeeded', 'failed', 'superseded'] as const;

/**
 * What came of one attempt. `interrupted`: cut off by a graceful stop; `unknown`: its worker's lease
 * ran out mid-call (killed or hung), so the call may or may not have reached Cognigy.
 */
export const ATTEMPT_OUTCOMES = [
  'success',
  'refused',
  'retryable',
  'network',
  'timeout',
  'skipped',
  'interrupted',
  'unknown',
] as const;
export type AttemptOutcomeName = (typeof ATTEMPT_OUTCOMES)[number];

const ErrorView = Type.Union([
  Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    additionalProperties: true,
    description: 'Cognigy’s detail, code, traceId and HTTP status, or the network failure (never a secret)',
  }),
  Type.Null(),
]);

export const AttemptView = Type.Object({
  number: Type.Integer(),
  worker: Type.String({ description: 'The process that made the call' }),
  startedAt: Timestamp,
  durationMs: Type.Integer(),
  outcome: literals(ATTEMPT_OUTCOMES, {
    description:
      'interrupted: cut off by a graceful stop and sent again; unknown: the worker stopped answering mid-call (killed), so Cognigy may or may not have applied it',
  }),
  httpStatus: Type.Union([Type.Integer(), Type.Null()]),
  traceId: Type.Union([Type.String(), Type.Null()], { description: 'Cognigy’s trace id of the call' }),
  error: ErrorView,
});

export const DeploymentView = Type.Object({
  id: Uuid('Deployment id'),
  orgId: Uuid('Org id'),
  version: Type.Integer({ description: 'The version number forwarded' }),
  contentHash: Type.String(),
  state: literals(DEPLOYMENT_STATES),
  attempts: Type.Integer(),
  nextAttemptAt: NullableTimestamp,
  createdAt: Timestamp,
  finishedAt: NullableTimestamp,
  lastError: ErrorView,
});
export type DeploymentView = Static<typeof DeploymentView>;

export const DeploymentDetailView = Type.Object({
  ...DeploymentView.properties,
  attemptLog: Type.Array(AttemptView, { description: 'Every call made, oldest first' }),
});

export const ListDeploymentsQuery = Type.Object(
  { ...PageQuery, state: Type.Optional(literals(DEPLOYMENT_STATES)) },
  { additionalProperties: false },
);
export type ListDeploymentsQuery = Static<typeof ListDeploymentsQuery>;

export const DeploymentParams = Type.Object({
  org: OrgRefParams.properties.org,
  id: Uuid('Deployment id'),
});
