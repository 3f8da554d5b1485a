/**
 * Response serializers, built once per schema object. Fastify asks for one per route and status
 * code at start-up: the HEAD twin of every GET again, and the shared problem schema for 4xx and 5xx
 * on every route (route-conventions.ts), so most requests for a serializer repeat an earlier one.
 * Fastify's own builder (fast-json-stringify through @fastify/fast-json-stringify-compiler) makes
 * each; this only remembers what it made. Its output depends on the schema alone (and on the
 * shared schemas of the instance, fixed per factory), never on the route, so sharing is exact.
 */
import {
  type Serializer,
  type SerializerFactory,
  SerializerSelector,
} from '@fastify/fast-json-stringify-compiler';

export function serializersBuiltOncePerSchema(): SerializerFactory {
  const select = SerializerSelector();
  return (externalSchemas, options) => {
    const build = select(externalSchemas, options);
    const built = new WeakMap<object, Serializer>();
    return (route) => {
      const schema = route.schema as object;
      let serializer = built.get(schema);
      if (!serializer) {
        serializer = build(route);
        built.set(schema, serializer);
      }
      return serializer;
    };
  };
}
