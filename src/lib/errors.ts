/**
 * The one registry of errors the API can answer with. Each has a stable `code`
 * (MODULE_SNAKE_CASE) and a status; the error handler turns them into RFC 9457 problem+json.
 */

/** One invalid field: a JSON pointer into the request and a sentence. */
export interface FieldError {
  readonly pointer: string;
  readonly detail: string;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  constructor(
    readonly code: string,
    message: string,
    readonly extra: {
      errors?: readonly FieldError[];
      body?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  readonly status = 400;
  readonly title = 'Bad request';
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly title = 'Unauthorized';
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly title = 'Forbidden';
}

/** Also what a resource of another tenant, or outside a key's org scope, looks like. */
export class NotFoundError extends AppError {
  readonly status = 404;
  readonly title = 'Not found';
}

/** Stale If-Match / baseVersion, or a uniqueness clash. `body` carries the current state. */
export class ConflictError extends AppError {
  readonly status = 409;
  readonly title = 'Conflict';
}

/** A write that must name the state it expects (If-Match or baseVersion) did not. */
export class PreconditionRequiredError extends AppError {
  readonly status = 428;
  readonly title = 'Precondition required';
}

export class UnprocessableError extends AppError {
  readonly status = 422;
  readonly title = 'Unprocessable content';
}

export class TooManyRequestsError extends AppError {
  readonly status = 429;
  readonly title = 'Too many requests';
}

export class ServiceUnavailableError extends AppError {
  readonly status = 503;
  readonly title = 'Service unavailable';
}
