/**
 * Every error leaves as RFC 9457 problem+json: AppErrors with their code, validation errors with a
 * JSON pointer per field, framework errors with a stable code. Anything unexpected is a 500 with a
 * generic sentence; its detail goes to the log only (never a stack trace or a secret to the client).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type FieldError } from '../lib/errors.js';
import { type AjvError, fieldErrorsOf } from '../lib/json-schema.js';
import { PROBLEM_CONTENT_TYPE } from '../lib/problem.js';
import { PROBLEMS, type ProblemCode, STATUS_TITLES } from '../lib/problem-codes.js';

/** Fastify's errors with a code of their own (each with the status Fastify gives it, as a test checks). */
export const FRAMEWORK_CODES: Record<string, { code: ProblemCode; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'REQUEST_BODY_TOO_LARGE',
    detail: 'The request body is larger than 1 MiB',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'REQUEST_MEDIA_TYPE_UNSUPPORTED',
    detail: 'Send the body as application/json',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'REQUEST_BODY_EMPTY', detail: 'The JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'REQUEST_JSON_INVALID', detail: 'The body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'REQUEST_CONTENT_LENGTH_INVALID',
    detail: 'Content-Length does not match the body',
  },
  FST_ERR_BAD_URL: { code: 'REQUEST_URL_INVALID', detail: 'The URL is not validly percent-encoded' },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'REQUEST_PATH_PARAMETER_TOO_LONG',
    detail: 'A path parameter is longer than any identifier of this API',
  },
};

interface ProblemOut {
  status: number;
  code: ProblemCode;
  title: string;
  detail: string;
  errors?: readonly FieldError[];
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

const TITLES: Partial<Record<number, string>> = STATUS_TITLES;

/** The registered status and title of `code`. */
const registered = (code: ProblemCode) => ({
  code,
  status: PROBLEMS[code].status,
  title: PROBLEMS[code].title,
});

function describe(error: FastifyError | Error): ProblemOut {
  if (error instanceof AppError) {
    return {
      status: error.status,
      code: error.code,
      title: error.title,
      detail: error.message,
      errors: error.extra.errors,
      body: error.extra.body,
      headers: error.extra.headers,
    };
  }
  const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (fe.validation) {
    const part = fe.validationContext ?? 'body';
    const unique = fieldErrorsOf(part, fe.validation);
    return {
      ...registered('REQUEST_VALIDATION_FAILED'),
      detail: `The request ${part} is invalid: ${unique.length} problem${unique.length === 1 ? '' : 's'}`,
      errors: unique,
    };
  }
  const known = fe.code ? FRAMEWORK_CODES[fe.code] : undefined;
  const status = fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
  if (known) return { ...registered(known.code), detail: known.detail };
  if (status < 500) {
    return { status, code: 'REQUEST_INVALID', title: TITLES[status] ?? 'Bad request', detail: fe.message };
  }
  return {
    ...registered('INTERNAL_ERROR'),
    detail: 'An unexpected error occurred; the request id identifies it in the service log',
  };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: ProblemOut) {
  if (problem.headers) reply.headers(problem.headers);
  return reply
    .code(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({
      ...problem.body,
      type: PROBLEMS[problem.code].type,
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      instance: `${request.url.split('?')[0]}#request=${request.id}`,
      code: problem.code,
      requestId: request.id,
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
}

/**
 * For the errors Fastify raises before routing (a URL that does not decode, a path parameter over
 * `maxParamLength`): no hook has run yet, so the request id header is set here.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  reply.header('x-request-id', request.id);
  const problem = describe(error);
  if (problem.status >= 500)
    request.log.error({ err: error, keyId: request.principal?.keyId }, 'request failed');
  return sendProblem(request, reply, problem);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const problem = describe(error);
    if (problem.status >= 500) {
      request.log.error({ err: error, keyId: request.principal?.keyId }, 'request failed');
    } else {
      request.log.info(
        { code: problem.code, status: problem.status, keyId: request.principal?.keyId },
        'request refused',
      );
    }
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, {
      ...registered('ROUTE_NOT_FOUND'),
      detail: `No route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );
}
