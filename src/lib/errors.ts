/**
 * The errors the API can answer with. Each carries a `code` of the problem-code registry
 * (problem-codes.ts) and takes its status and title from there; a class accepts only the codes
 * registered with its status. The error handler turns them into RFC 9457 problem+json.
 */
import { PROBLEMS, type ProblemCode, type ProblemCodeOf } from './problem-codes.js';

/** One invalid field: a JSON pointer into the request and a sentence. */
export interface FieldError {
  readonly pointer: string;
  readonly detail: string;
}

export abstract class AppError<C extends ProblemCode = ProblemCode> extends Error {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: C,
    message: string,
    readonly extra: {
      errors?: readonly FieldError[];
      body?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.status = PROBLEMS[code].status;
    this.title = PROBLEMS[code].title;
  }
}

export class BadRequestError extends AppError<ProblemCodeOf<400>> {}

export class UnauthorizedError extends AppError<ProblemCodeOf<401>> {}

export class ForbiddenError extends AppError<ProblemCodeOf<403>> {}

/** Also what a resource of another tenant, or outside a key's org scope, looks like. */
export class NotFoundError extends AppError<ProblemCodeOf<404>> {}

/** Stale If-Match / baseVersion, or a uniqueness clash. `body` carries the current state. */
export class ConflictError extends AppError<ProblemCodeOf<409>> {}

/** A write that must name the state it expects (If-Match or baseVersion) did not. */
export class PreconditionRequiredError extends AppError<ProblemCodeOf<428>> {}

export class UnprocessableError extends AppError<ProblemCodeOf<422>> {}

export class TooManyRequestsError extends AppError<ProblemCodeOf<429>> {}

export class ServiceUnavailableError extends AppError<ProblemCodeOf<503>> {}
