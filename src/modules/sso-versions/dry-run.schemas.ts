/** The response of the dry run, GET …/versions/{n}/cognigy-request (dry-run.ts). */
import { Type } from 'typebox';
import { Nullable } from './sso-versions.schemas.js';

export const CognigyRequestView = Type.Object({
  version: Type.Integer(),
  contentHash: Type.String(),
  method: Type.Literal('POST'),
  url: Type.String(),
  headers: Type.Record(Type.String(), Type.String(), { description: 'X-API-Key masked' }),
  body: Nullable(
    Type.Unsafe<Record<string, unknown>>({
      type: 'object',
      additionalProperties: true,
      description: 'Secrets masked with their fingerprints',
    }),
  ),
});
