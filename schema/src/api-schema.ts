import { Supergraph } from '@apollo/federation-internals';
import { GraphQLSchema, isIntrospectionType, isSpecifiedScalarType } from 'graphql';

/**
 * The public API schema of a supergraph: what clients of the gateway can query. It drops the
 * join__/link__ machinery and every @inaccessible element, so breaking-change detection and
 * operation validation see exactly what clients see.
 * Throws if the SDL is not a valid supergraph.
 */
export function toApiSchema(supergraphSdl: string): GraphQLSchema {
  // @apollo/federation-internals comes with @apollo/composition at the same version; it is
  // the library the gateway itself uses to derive the API schema, so the two cannot disagree.
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

/** Named types a client can see, excluding introspection types and built-in scalars. */
export function countApiTypes(schema: GraphQLSchema): number {
  return Object.values(schema.getTypeMap()).filter(
    (type) => !isIntrospectionType(type) && !isSpecifiedScalarType(type),
  ).length;
}
