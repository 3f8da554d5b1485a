/** RFC 9457 problem details, the body of every error response. */
import { type Static, Type } from 'typebox';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI reference identifying the problem type' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String({ description: 'The request path and request id' }),
    code: Type.String({ description: 'Stable machine-readable code, e.g. ORG_NOT_FOUND' }),
    requestId: Type.String(),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          pointer: Type.String({ description: 'JSON pointer (RFC 6901) into the request, e.g. /body/slug' }),
          detail: Type.String(),
        }),
      ),
    ),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);
export type Problem = Static<typeof ProblemSchema>;

export function problemType(code: string): string {
  return `https://cognigy-sso.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;
}
