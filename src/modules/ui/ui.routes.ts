/**
 * The web UI for auditors and approvers: the files `npm run build` bundles from ui/ into dist/ui,
 * served under /ui. The page calls the same REST API with the key the person signs in with; these
 * routes serve only static files and need no key. Every answer carries a strict Content-Security-
 * Policy: scripts, styles and requests from this origin only, no inline code, no framing.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError, ServiceUnavailableError } from '../../lib/errors.js';

export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export const UI_SECURITY_HEADERS = {
  'content-security-policy': UI_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** dist/ui of this installation: beside the package.json above this file (from src/ or dist/src/). */
export function builtUiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, 'dist', 'ui');
}

export interface UiRoutesOptions {
  /** The folder with index.html and assets/ (default: dist/ui). */
  readonly root?: string;
}

const HIDDEN = { hide: true } as const;
const PUBLIC = { access: 'public' } as const;

export const uiRoutes: FastifyPluginAsync<UiRoutesOptions> = async (app, options) => {
  const root = options.root ?? builtUiDir();
  const built = existsSync(join(root, 'index.html'));
  if (built) await app.register(fastifyStatic, { root, serve: false });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(UI_SECURITY_HEADERS);
    return payload;
  });

  const notBuilt = () =>
    new ServiceUnavailableError('UI_NOT_BUILT', 'The web UI is not built: run `npm run build`');

  app.get('/ui', { config: PUBLIC, schema: HIDDEN }, async (_request, reply) => reply.redirect('/ui/'));

  app.get('/ui/*', { config: PUBLIC, schema: HIDDEN }, async (request, reply) => {
    if (!built) throw notBuilt();
    const path = (request.params as { '*': string })['*'];
    if (path === '' || path === 'index.html') {
      // The page names its hashed assets: always fetch it anew, so a new build is picked up.
      return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
    }
    if (!path.startsWith('assets/'))
      throw new NotFoundError('UI_FILE_NOT_FOUND', 'No such file of the web UI');
    // Asset names carry a content hash: a name never changes content.
    return reply.sendFile(path, { maxAge: '365d', immutable: true, dotfiles: 'deny' });
  });
};
