/**
 * A faithful fake of a Cognigy.AI installation's identity-provider API (SPEC §1, NOTES "Cognigy.AI
 * API"), for the forwarding tests and benchmarks:
 * - `POST {base}/new/v2.0/identityprovider/configure` and `/reset`, authenticated by `X-API-Key`
 *   (one installation may serve many organisations: each key belongs to one);
 * - bodies checked against the schemas of Cognigy's own client (additionalProperties: false), errors
 *   in Cognigy's shape (`type`, `title`, `status`, `detail`, `instance`, `code`, `traceId`, `details`);
 * - every call recorded, and the resulting state kept per organisation (configure replaces, reset
 *   clears);
 * - faults on demand: a status (429 with Retry-After in seconds or as a date, 500, 503 …), a slow
 *   answer, a connection reset, a hang — queued for the next calls, or at a random rate.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { startHttpServer, startHttpsServer, type TestServer } from './tls.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const schemas = JSON.parse(
  readFileSync(new URL('../fixtures/cognigy/identity-provider-schemas.json', import.meta.url), 'utf8'),
) as { oidc: object; saml: object };

export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string }
  | { readonly kind: 'slow'; readonly ms: number }
  | { readonly kind: 'reset' }
  | { readonly kind: 'hang' };

export interface FakeCognigyCall {
  readonly at: number;
  readonly path: string;
  readonly apiKey: string | null;
  readonly organisation: string | null;
  readonly body: unknown;
  /** What the fake answered (0: the connection was reset or left hanging). */
  readonly status: number;
  readonly fault: Fault['kind'] | null;
  readonly traceId: string;
}

/** A request as it arrived, before the fake answered it (or was cut off: a caller killed mid-call). */
export interface FakeCognigyReceived {
  readonly at: number;
  readonly path: string;
  readonly organisation: string | null;
  /** The parsed JSON body (null when none or not JSON). */
  readonly body: unknown;
}

export type OrganisationState =
  | { readonly kind: 'configured'; readonly body: Record<string, unknown>; readonly at: number }
  | { readonly kind: 'reset'; readonly at: number };

/** Calls in progress at once, and the most there were (shareable by several fakes). */
export interface ConcurrencyGauge {
  now: number;
  most: number;
}

export const concurrencyGauge = (): ConcurrencyGauge => ({ now: 0, most: 0 });

export interface FakeCognigy {
  /** Calls this fake was answering at once: now, and the most since it started. */
  readonly gauge: ConcurrencyGauge;
  /** The API base to configure as an org's Cognigy target (ends in /new). */
  readonly apiBase: string;
  readonly calls: FakeCognigyCall[];
  /** Every request when it arrived, answered or not (a call cut off mid-way is here, not in `calls`). */
  readonly received: FakeCognigyReceived[];
  /** Accepts `apiKey` as the key of `organisation`. */
  addKey(apiKey: string, organisation: string): void;
  /** The organisation's SSO configuration as the fake holds it now. */
  stateOf(organisation: string): OrganisationState | undefined;
  /** The next calls get these faults, in order (one each). */
  queueFaults(...faults: Fault[]): void;
  /** From now on, each call gets one of `faults` with probability `rate`. */
  setFaultRate(rate: number, faults: readonly Fault[]): void;
  /** Time taken by every successful answer. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

function problem(
  res: ServerResponse,
  status: number,
  title: string,
  detail: string,
  code: number,
  traceId: string,
  path: string,
) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      type: `https://docs.cognigy.com/errors/${status}`,
      title,
      status,
      detail,
      instance: path,
      code,
      traceId,
      details: {},
    }),
  );
}

export async function startFakeCognigy(
  options: { https?: boolean; random?: () => number; sharedGauge?: ConcurrencyGauge } = {},
): Promise<FakeCognigy> {
  const gauge = concurrencyGauge();
  const gauges = options.sharedGauge ? [gauge, options.sharedGauge] : [gauge];
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  const validate = { oidc: ajv.compile(schemas.oidc), saml: ajv.compile(schemas.saml) };
  const random = options.random ?? Math.random;
  const keys = new Map<string, string>();
  const states = new Map<string, OrganisationState>();
  const calls: FakeCognigyCall[] = [];
  const received: FakeCognigyReceived[] = [];
  const queued: Fault[] = [];
  let rate = 0;
  let rateFaults: readonly Fault[] = [];
  let latencyMs = 0;
  const hanging = new Set<ServerResponse>();

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    for (const g of gauges) {
      g.now += 1;
      g.most = Math.max(g.most, g.now);
    }
    // A call is open from its arrival until the fake writes its answer (or the connection closes
    // unanswered). Not until 'close': a client can read the answer, free its slot and start its next
    // call before this side's 'close' runs — on a loaded machine the gauge then counted one too many.
    let open = true;
    const answered = () => {
      if (!open) return;
      open = false;
      for (const g of gauges) g.now -= 1;
    };
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      answered();
      return end(...args);
    }) as ServerResponse['end'];
    res.once('close', answered);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const apiKey = typeof req.headers['x-api-key'] === 'string' ? req.headers['x-api-key'] : null;
    const organisation = apiKey ? (keys.get(apiKey) ?? null) : null;
    const traceId = `api--${randomUUID()}`;
    let body: unknown = null;
    const text = Buffer.concat(chunks).toString('utf8');
    let arrived: unknown = null;
    try {
      arrived = text ? JSON.parse(text) : null;
    } catch {
      // recorded as null; the answer below says 400
    }
    received.push({ at: Date.now(), path, organisation, body: arrived });
    const record = (status: number, fault: Fault['kind'] | null) =>
      calls.push({ at: Date.now(), path, apiKey, organisation, body, status, fault, traceId });

    const fault =
      queued.shift() ??
      (rate > 0 && random() < rate ? rateFaults[Math.floor(random() * rateFaults.length)] : undefined);
    if (fault?.kind === 'reset') {
      record(0, 'reset');
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang') {
      record(0, 'hang');
      hanging.add(res);
      return;
    }
    if (fault?.kind === 'status') {
      record(fault.status, 'status');
      if (fault.retryAfter !== undefined) res.setHeader('retry-after', fault.retryAfter);
      problem(
        res,
        fault.status,
        'Injected fault',
        `Injected HTTP ${fault.status}`,
        1000 + fault.status,
        traceId,
        path,
      );
      return;
    }
    const delay = (fault?.kind === 'slow' ? fault.ms : 0) + latencyMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));

    const configure = path === '/new/v2.0/identityprovider/configure';
    const reset = path === '/new/v2.0/identityprovider/reset';
    if (req.method !== 'POST' || (!configure && !reset)) {
      record(404, null);
      problem(res, 404, 'Not Found', `Cannot ${req.method} ${path}`, 1004, traceId, path);
      return;
    }
    if (!organisation) {
      record(401, null);
      problem(res, 401, 'Unauthorized', 'The API key is missing or invalid', 1001, traceId, path);
      return;
    }
    if (configure) {
      try {
        body = JSON.parse(text);
      } catch {
        record(400, null);
        problem(res, 400, 'Bad Request', 'The body is not valid JSON', 1002, traceId, path);
        return;
      }
      const type = (body as { idpType?: unknown })?.idpType;
      const check = type === 'oidc' ? validate.oidc : type === 'saml' ? validate.saml : undefined;
      if (!check?.(body)) {
        record(400, null);
        const detail = check ? ajv.errorsText(check.errors) : 'idpType must be oidc or saml';
        problem(res, 400, 'Bad Request', detail, 1002, traceId, path);
        return;
      }
      states.set(organisation, { kind: 'configured', body: body as Record<string, unknown>, at: Date.now() });
    } else {
      states.set(organisation, { kind: 'reset', at: Date.now() });
    }
    record(200, fault?.kind ?? null);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  };

  const server: TestServer = await (options.https ? startHttpsServer : startHttpServer)((req, res) => {
    handler(req, res).catch(() => res.destroy());
  });
  return {
    gauge,
    apiBase: `${server.url}/new`,
    calls,
    received,
    addKey: (apiKey, organisation) => void keys.set(apiKey, organisation),
    stateOf: (organisation) => states.get(organisation),
    queueFaults: (...faults) => void queued.push(...faults),
    setFaultRate(r, faults) {
      rate = r;
      rateFaults = faults;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    async close() {
      for (const res of hanging) res.destroy();
      await server.close();
    },
  };
}
