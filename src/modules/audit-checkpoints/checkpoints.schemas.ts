import { type Static, Type } from 'typebox';
import { PageQuery, Timestamp, Uuid } from '../../lib/schemas.js';

export const CheckpointView = Type.Object(
  {
    id: Uuid('Checkpoint id (not signed)'),
    chain: Type.String({ description: 'The tenant id, or "platform"' }),
    seq: Type.Integer({ minimum: 1, description: 'The seq of the chain’s head when signed' }),
    hash: Type.String({ description: 'The hash of the event at seq' }),
    signedAt: Timestamp,
    keyId: Type.String({ description: 'The signing key’s kid (its RFC 7638 thumbprint), in the JWKS' }),
    signature: Type.String({
      description:
        'Ed25519 over the canonical bytes {"chain","hash","keyId","seq","signedAt","type":"audit-checkpoint","v":1} (README, "Signed checkpoints"), base64url',
    }),
  },
  { description: 'A signed statement of a chain’s head' },
);

export const ListCheckpointsQuery = Type.Object(
  {
    ...PageQuery,
    // no default: format=ndjson refuses a limit, so the absence of one must be visible
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 200, description: 'Page size (1-200, default 50)' }),
    ),
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('ndjson')], {
        default: 'json',
        description:
          'ndjson: every checkpoint of the chain, oldest first, one per line (the file the offline check and the CLI take); no limit or cursor',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ListCheckpointsQuery = Static<typeof ListCheckpointsQuery>;

export const Jwks = Type.Object(
  {
    keys: Type.Array(
      Type.Object({
        kty: Type.Literal('OKP'),
        crv: Type.Literal('Ed25519'),
        x: Type.String({ description: 'The public key, base64url' }),
        kid: Type.String(),
        alg: Type.Literal('EdDSA'),
        use: Type.Literal('sig'),
      }),
    ),
  },
  { description: 'Every key that ever signed checkpoints (RFC 7517 JWKS, RFC 8037 Ed25519 keys)' },
);
