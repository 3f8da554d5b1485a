/**
 * A desired-state document as csso reads it: YAML or JSON (JSON is YAML, so one parser reads both
 * and every syntax error names its line and column; a placeholder YAML would read as a mapping is
 * caught with a hint to quote it), with secrets taken from the environment
 * (`idpClientSecret: { env: ACME_SECRET }`) before it is sent. The parsed file is kept so that a
 * JSON pointer the service answers (`/entries/3/sso/idpIssuer`) can be shown as `sso.yaml:12:7`.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { CliError } from './errors.js';

/** The fields that hold a secret; only they take `{ env: NAME }` (and `{ keep: true }`). */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['idpClientSecret', 'decryptionPrivateKey']);

/** The service's placeholders (`{org.slug}`, `{org.labels.region}`, `{cognigy.organisationId}`, …). */
const PLACEHOLDER = /^(org\.[A-Za-z0-9._/-]+|cognigy\.organisationId)$/;
/** A value that starts with a placeholder, which YAML reads as the start of a mapping. */
const PLACEHOLDER_START = /:\s*\{(org\.|cognigy\.)/;
const QUOTE_HINT = 'quote a value that starts with a placeholder, e.g. idpClientId: "{org.slug}-cognigy"';

/** A document as sent to the service: `{ entries: [...] }`, otherwise as the file says. */
export type DesiredState = { entries: unknown[] } & Record<string, unknown>;

export interface LoadedDocument {
  /** The file's name as given (`<stdin>` for `-`), for messages. */
  readonly source: string;
  readonly document: DesiredState;
  /** The values taken from the environment: never to be printed. */
  readonly secrets: readonly string[];
  /** Where in the file a JSON pointer into the document points, as `file:line:column`. */
  locate(pointer: string): string | undefined;
}

export interface Position {
  readonly line: number;
  readonly col: number;
}

/** Reads `path` (`-`: standard input) and {@link parseDesiredState}s it. */
export async function loadDesiredState(
  path: string,
  env: NodeJS.ProcessEnv,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<LoadedDocument> {
  const source = path === '-' ? '<stdin>' : path;
  let text: string;
  try {
    text = path === '-' ? await readAll(stdin) : await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${source}: ${(error as Error).message}`);
  }
  return parseDesiredState(text, source, env);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses a document's text.
 * @throws CliError `file:line:column: …` on a syntax error (or a key given twice), when the document
 * is not `{ entries: [...] }`, and when an `{ env: NAME }` names a variable that is not set (or is
 * not at a secret field).
 */
export function parseDesiredState(text: string, source: string, env: NodeJS.ProcessEnv): LoadedDocument {
  const lineCounter = new LineCounter();
  const parsed = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const [first] = parsed.errors;
  if (first) {
    const pos = first.linePos?.[0] ?? { line: 1, col: 1 };
    const message = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
    const line = text.split('\n')[pos.line - 1] ?? '';
    const hint = PLACEHOLDER_START.test(line) ? ` (${QUOTE_HINT})` : '';
    throw new CliError(
      `${source}:${pos.line}:${pos.col}: syntax error at line ${pos.line}, column ${pos.col}: ${message}${hint}`,
    );
  }
  const at = (node: Node | null | undefined): string => {
    const position = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
    return position ? `${source}:${position.line}:${position.col}` : source;
  };
  const root = parsed.contents;
  if (!isMap(root) || !isSeq(root.get('entries', true))) {
    throw new CliError(`${at(root)}: a desired-state document is a mapping with a list \`entries\``);
  }
  let document: DesiredState;
  try {
    document = parsed.toJS({ maxAliasCount: 100 }) as DesiredState;
  } catch (error) {
    throw new CliError(`${source}: ${(error as Error).message}`);
  }

  const secrets: string[] = [];
  const nodeAt = (path: readonly (string | number)[]) => parsed.getIn(path, true) as Node | undefined;
  const resolve = (value: unknown, path: (string | number)[]): unknown => {
    if (Array.isArray(value)) return value.map((item, index) => resolve(item, [...path, index]));
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && record[keys[0] as string] === null && PLACEHOLDER.test(keys[0] as string)) {
      // `idpClientId: {org.slug}` is YAML for the mapping { "org.slug": null }, not the placeholder.
      throw new CliError(
        `${at(nodeAt(path))}: ${toPointer(path)}: {${keys[0]}} was read as a mapping: ${QUOTE_HINT}`,
      );
    }
    if (keys.length === 1 && keys[0] === 'env') {
      const field = path.at(-1);
      const where = `${at(nodeAt(path))}: ${toPointer(path)}`;
      if (typeof field !== 'string' || !SECRET_FIELDS.has(field)) {
        throw new CliError(
          `${where}: { env: NAME } is accepted only for a secret (${[...SECRET_FIELDS].join(', ')})`,
        );
      }
      const name = record.env;
      if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new CliError(`${where}: env must name an environment variable`);
      }
      const secret = env[name];
      if (secret === undefined || secret === '') {
        throw new CliError(`${where}: the environment variable ${name} is not set`);
      }
      secrets.push(secret);
      return secret;
    }
    return Object.fromEntries(keys.map((key) => [key, resolve(record[key], [...path, key])]));
  };
  const resolved = resolve(document, []) as DesiredState;

  return {
    source,
    document: resolved,
    secrets,
    locate(pointer) {
      const path = fromPointer(pointer);
      if (!path) return undefined;
      // The service may point into its request body (`/document/entries/0/…` or `/body/document/…`).
      while (path[0] === 'body' || path[0] === 'document') path.shift();
      const segments = path.map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
      for (let length = segments.length; length >= 0; length -= 1) {
        // A field of a mapping is shown at its key (an unknown field has nothing else to show).
        const parent = length > 0 ? nodeAt(segments.slice(0, length - 1)) : undefined;
        const name = String(segments[length - 1]);
        const key = isMap(parent)
          ? parent.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === name)?.key
          : undefined;
        if (isScalar(key)) return at(key);
        const node = nodeAt(segments.slice(0, length));
        if (node && (isScalar(node) || isMap(node) || isSeq(node))) return at(node);
      }
      return undefined;
    },
  };
}

/** `['entries', 0, 'sso']` → `/entries/0/sso` (RFC 6901). */
export function toPointer(path: readonly (string | number)[]): string {
  return path.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function fromPointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}
