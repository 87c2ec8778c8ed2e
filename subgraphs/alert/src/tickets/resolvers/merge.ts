import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';

type ResolverMap = Record<string, object>;

/**
 * Merges resolver maps type by type (`Query` of one and `Query` of the other become one
 * `Query`), so the alert and ticket halves of the subgraph can each define fields of the
 * same types. A field defined twice is a programming error: it throws at start-up.
 */
export function mergeResolverMaps<C = unknown>(...maps: ResolverMap[]): GraphQLResolverMap<C> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const map of maps) {
    for (const [type, fields] of Object.entries(map)) {
      // A scalar (a class instance) is taken whole; only plain field maps are merged.
      if (Object.getPrototypeOf(fields) !== Object.prototype) {
        if (type in merged) throw new Error(`Resolvers of ${type} are defined twice`);
        merged[type] = fields as Record<string, unknown>;
        continue;
      }
      const target = (merged[type] ??= {});
      for (const [field, resolver] of Object.entries(fields)) {
        if (field in target) throw new Error(`Resolver ${type}.${field} is defined twice`);
        target[field] = resolver;
      }
    }
  }
  // The parts are resolver maps themselves; merging keeps their shape.
  return merged as GraphQLResolverMap<C>;
}
