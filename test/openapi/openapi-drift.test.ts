import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { generateOpenApiDocument } from '../../scripts/openapi-document.js';
import { generateOpenApiTypes } from '../../scripts/openapi-types.js';

const root = new URL('../../', import.meta.url);

interface Operation {
  operationId?: string;
  tags?: string[];
  responses: Record<string, { content?: Record<string, unknown> }>;
  security?: unknown;
  parameters?: { name: string; in: string }[];
}

describe('the committed OpenAPI document', () => {
  test('equals what the routes generate (run `npm run openapi:write` after changing a route)', async () => {
    const committed = await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8');
    expect(committed).toBe(await generateOpenApiDocument());
  });

  /**
   * The /v1 routes anyone may call: the sign-in page asks "which sign-in ways does this tenant offer?"
   * before any sign-in; public keys are public (README, "Signed checkpoints").
   */
  const PUBLIC_V1 = new Set(['/v1/console-login/options', '/v1/audit-events/checkpoint-keys']);

  test('is OpenAPI 3.1 and documents auth, problem responses and idempotency on every operation', async () => {
    const doc = JSON.parse(await generateOpenApiDocument());
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(
      ([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );
    expect(operations.length).toBeGreaterThan(10);
    for (const { path, method, op } of operations) {
      expect(op.responses['4XX']?.content?.['application/problem+json'], `${method} ${path}`).toBeDefined();
      if (path.startsWith('/v1/') && !PUBLIC_V1.has(path))
        expect(op.security, `${method} ${path}`).toEqual([{ bearer: [] }, { apiKeyHeader: [] }]);
      else expect(op.security, `${method} ${path} is public and says so`).toEqual([]);
      if (method === 'post') {
        const names = (op.parameters ?? []).map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
        expect(names, `${method} ${path}`).toContain('header:idempotency-key');
      }
    }
    expect(doc.components.schemas.Problem).toBeDefined();
    expect(JSON.stringify(doc)).not.toMatch(/No authentication\.\s+No authentication/);
  });

  test('names every operation once (the typed client’s method names) and tags it with a declared tag', async () => {
    const doc = JSON.parse(await generateOpenApiDocument());
    const declared = new Set((doc.tags as { name: string }[]).map((t) => t.name));
    const ids: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
        expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
        for (const tag of op.tags ?? []) expect(declared, `${method} ${path}: tag ${tag}`).toContain(tag);
        ids.push(op.operationId as string);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('the client’s committed types equal what openapi-typescript makes of the committed document', async () => {
    const document = await readFile(new URL('openapi/openapi.json', root), 'utf8');
    const committed = await readFile(new URL('src/client/openapi-types.ts', root), 'utf8');
    expect(committed).toBe(await generateOpenApiTypes(document));
  });

  test('Redocly’s recommended rules: no error, and only the warning redocly.yaml explains', async () => {
    const cli = new URL('node_modules/@redocly/cli/bin/cli.js', root).pathname;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cli, 'lint', 'openapi/openapi.json', '--format=json'],
      {
        cwd: root.pathname,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    const report = JSON.parse(stdout) as { totals: { errors: number }; problems: { ruleId: string }[] };
    expect(report.totals.errors).toBe(0);
    expect(report.problems.map((p) => p.ruleId)).toEqual(['info-license']);
  });
});
