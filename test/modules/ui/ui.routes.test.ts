/**
 * /ui serves the built web UI as static files with a strict Content-Security-Policy; it needs no key
 * (the page calls the API with the key the person signs in with), is not part of the API document,
 * and serves nothing outside its folder.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UI_CONTENT_SECURITY_POLICY, uiRoutes } from '../../../src/modules/ui/ui.routes.js';
import { installErrorHandling } from '../../../src/plugins/error-handler.js';
import { installRouteConventions } from '../../../src/plugins/route-conventions.js';
import { createTestApp, expectProblem, type TestApp } from '../../support/app.js';

async function bareApp(root: string): Promise<FastifyInstance> {
  const app = Fastify();
  installErrorHandling(app);
  installRouteConventions(app);
  await app.register(uiRoutes, { root });
  await app.ready();
  return app;
}

describe('a built UI', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sso-ui-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>ui</title>');
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    await writeFile(join(dir, 'secret.txt'), 'not an asset');
    app = await bareApp(dir);
  });
  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('/ui redirects to /ui/, which serves the page, never cached, with the CSP and no key needed', async () => {
    const redirect = await app.inject({ method: 'GET', url: '/ui' });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('/ui/');
    const page = await app.inject({ method: 'GET', url: '/ui/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).toContain('<title>ui</title>');
  });

  test('the CSP allows scripts, styles and requests from this origin only, no inline code, no framing', () => {
    const directives = Object.fromEntries(
      UI_CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]),
    );
    expect(directives).toMatchObject({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self'",
      'connect-src': "'self'",
      'frame-ancestors': "'none'",
      'base-uri': "'none'",
    });
    expect(UI_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
  });

  test('hashed assets are served with a long immutable cache and the same headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/ui/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
  });

  test.each([
    '/ui/assets/missing.js',
    '/ui/secret.txt',
    '/ui/assets/../secret.txt',
    '/ui/assets/%2e%2e/secret.txt',
    '/ui/assets/%2e%2e/%2e%2e/package.json',
    '/ui/assets/..%2f..%2fpackage.json',
  ])('%s is not served', async (url) => {
    const res = await app.inject({ method: 'GET', url });
    expect([403, 404]).toContain(res.statusCode);
    expect(res.body).not.toContain('not an asset');
    expect(res.body).not.toContain('"name"');
  });
});

describe('the service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({}, 'ui');
  });
  afterAll(async () => t?.close());

  test('serves /ui/ (the build of ui/) or says clearly that it is not built', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ui/' });
    if (res.statusCode === 503) {
      expectProblem(res, 503, 'UI_NOT_BUILT');
    } else {
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(
        /<script type="module" crossorigin src="\/ui\/assets\/index-[\w-]+\.js"><\/script>/,
      );
    }
    expect(res.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
  });

  test('keeps /ui out of the API document', () => {
    const paths = Object.keys((t.app.swagger() as { paths: Record<string, unknown> }).paths);
    expect(paths.some((p) => p.startsWith('/ui'))).toBe(false);
  });

  test('does not put the CSP of the UI on API answers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['content-security-policy']).toBeUndefined();
  });
});
