/**
 * Discriminator mappings for the OpenAPI document. A route's `oneOf` keyed by `kind` names its
 * branches by `$id` (OidcDraft, …), and without a mapping OpenAPI reads the discriminator's values as
 * those schema names, so a generated client would expect `kind: "OidcDraft"`. Ajv refuses a
 * `mapping` in the schemas it validates with, so the mapping is added here, to a copy of the
 * document only: each branch's value is the one value of its discriminating property (a `const`,
 * which @fastify/swagger writes as a one-value `enum`).
 */
type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

export function withDiscriminatorMappings<D extends Json>(document: D): D {
  const copy = structuredClone(document);
  const schemas = ((copy.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  const pending: unknown[] = [copy];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (!isObject(node)) continue;
    const discriminator = node.discriminator as { propertyName?: string; mapping?: unknown } | undefined;
    if (discriminator?.propertyName && !discriminator.mapping && Array.isArray(node.oneOf)) {
      const mapping: Record<string, string> = {};
      for (const branch of node.oneOf as Json[]) {
        const ref = String(branch.$ref ?? '');
        const name = ref.replace('#/components/schemas/', '');
        const property = (schemas[name]?.properties as Json | undefined)?.[discriminator.propertyName] as
          | { const?: unknown; enum?: unknown[] }
          | undefined;
        const value = property?.const ?? (property?.enum?.length === 1 ? property.enum[0] : undefined);
        if (typeof value === 'string') mapping[value] = ref;
      }
      if (Object.keys(mapping).length === node.oneOf.length)
        node.discriminator = { ...discriminator, mapping };
    }
    pending.push(...Object.values(node));
  }
  return copy;
}
