/** Where a change came from: recorded with it (audit trail), never used for decisions. */
export interface RequestContext {
  readonly requestId: string;
  readonly ip: string;
  readonly userAgent: string | undefined;
}

/** Changes made by the service itself (migrations, rotation, workers). */
export const systemContext = (requestId: string): RequestContext => ({
  requestId,
  ip: '',
  userAgent: undefined,
});
