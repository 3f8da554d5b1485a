/**
 * The app's OpenAPI document with its local schema references (`#/components/schemas/…`) replaced
 * by the schemas they name, for tests that walk a route's body schema field by field.
 */
import type { FastifyInstance } from 'fastify';

const PREFIX = '#/components/schemas/';

export function dereferencedDocument<T>(app: FastifyInstance): T {
  const document = structuredClone(app.swagger()) as { components?: { schemas?: Record<string, unknown> } };
  const schemas = document.components?.schemas ?? {};
  const resolve = (node: unknown, seen: readonly string[]): unknown => {
    if (Array.isArray(node)) return node.map((item) => resolve(item, seen));
    if (typeof node !== 'object' || node === null) return node;
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith(PREFIX)) {
      const name = ref.slice(PREFIX.length);
      if (seen.includes(name)) throw new Error(`schema ${name} refers to itself`);
      return resolve(schemas[name], [...seen, name]);
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v, seen)]));
  };
  return resolve(document, []) as T;
}
