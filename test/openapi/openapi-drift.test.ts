import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { generateOpenApiDocument } from '../../scripts/openapi-document.js';

interface Operation {
  responses: Record<string, { content?: Record<string, unknown> }>;
  security?: unknown;
  parameters?: { name: string; in: string }[];
}

describe('the committed OpenAPI document', () => {
  test('equals what the routes generate (run `npm run openapi:write` after changing a route)', async () => {
    const committed = await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8');
    expect(committed).toBe(await generateOpenApiDocument());
  });

  test('is OpenAPI 3.1 and documents auth, problem responses and idempotency on every operation', async () => {
    const doc = JSON.parse(await generateOpenApiDocument());
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(
      ([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );
    expect(operations.length).toBeGreaterThan(10);
    for (const { path, method, op } of operations) {
      expect(op.responses['4XX']?.content?.['application/problem+json'], `${method} ${path}`).toBeDefined();
      if (path.startsWith('/v1/'))
        expect(op.security, `${method} ${path}`).toEqual([{ bearer: [] }, { apiKeyHeader: [] }]);
      if (method === 'post') {
        const names = (op.parameters ?? []).map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
        expect(names, `${method} ${path}`).toContain('header:idempotency-key');
      }
    }
    expect(doc.components.schemas.Problem).toBeDefined();
    expect(JSON.stringify(doc)).not.toMatch(/No authentication\.\s+No authentication/);
  });
});
