import type { ApolloServerPlugin } from '@apollo/server';
import {
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { UmpError, ErrorCode } from '@ump/core';

interface Walk {
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  /** Fragment names on the current path: a cycle is invalid GraphQL, but never loop on it. */
  seen: Set<string>;
  /**
   * Each fragment's measure, computed once: without it a fragment spread twice in each of n
   * nested fragments is walked 2^n times, and a 1 KB query could stall the gateway.
   */
  measured: Map<string, { depth: number; cost: number }>;
}

function numberArg(value: ValueNode | undefined, variables: Record<string, unknown>): number | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === 'number' ? v : undefined;
  }
  return undefined;
}

/**
 * Depth and cost of a selection set. Every field costs 1; a field with a `first` argument
 * (a page) multiplies the cost of what is selected below it, since each item resolves it.
 */
function measure(set: SelectionSetNode, walk: Walk): { depth: number; cost: number } {
  let depth = 0;
  let cost = 0;
  for (const selection of set.selections) {
    let inner: { depth: number; cost: number } = { depth: 0, cost: 0 };
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      const below = selection.selectionSet ? measure(selection.selectionSet, walk) : { depth: 0, cost: 0 };
      const pageArg = selection.arguments?.find((a) => a.name.value === 'first');
      const items = Math.max(1, numberArg(pageArg?.value, walk.variables) ?? (pageArg ? 20 : 1));
      inner = { depth: below.depth + 1, cost: 1 + items * below.cost };
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      inner = measure(selection.selectionSet, walk);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      if (!fragment || walk.seen.has(name)) continue;
      const known = walk.measured.get(name);
      if (known) {
        inner = known;
      } else {
        walk.seen.add(name);
        inner = measure(fragment.selectionSet, walk);
        walk.seen.delete(name);
        walk.measured.set(name, inner);
      }
    }
    depth = Math.max(depth, inner.depth);
    cost += inner.cost;
  }
  return { depth, cost };
}

/** Depth and cost of one operation of a document. */
export function operationComplexity(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
) {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  return measure(operation.selectionSet, { fragments, variables, seen: new Set(), measured: new Map() });
}

/**
 * Refuses, before any subgraph is called, operations nested deeper than `maxDepth` or whose
 * estimated cost exceeds `maxCost`, with BAD_USER_INPUT saying which limit and by how much.
 */
export function limitsPlugin(limits: { maxDepth: number; maxCost: number }): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          if (!operation) return;
          const { depth, cost } = operationComplexity(document, operation, request.variables ?? {});
          if (depth > limits.maxDepth) {
            throw new UmpError(ErrorCode.BAD_USER_INPUT, `Query depth ${depth} exceeds the limit of ${limits.maxDepth}`);
          }
          if (cost > limits.maxCost) {
            throw new UmpError(
              ErrorCode.BAD_USER_INPUT,
              `Query cost ${cost} exceeds the limit of ${limits.maxCost}; request smaller pages (first) or fewer fields`,
            );
          }
        },
      };
    },
  };
}
