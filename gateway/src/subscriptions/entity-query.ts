import {
  isAbstractType,
  Kind,
  OperationTypeNode,
  print,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';

/** The query that resolves, for one event, everything a subscriber selected under the entity. */
export interface EntityQuery {
  /**
   * `query <Name>($id: ID!, …) { <alias>: alert(id: $id) { <their selection> } … }`, printed;
   * null when the subscriber selected nothing under the entity (only `type`, `at`…): then
   * nothing is fetched at all.
   */
  query: string | null;
  /** Name of the variable that carries the entity id (`id`, or `id_`… if theirs is taken). */
  idVariable: string;
  /** The subscriber's variables that the query uses (raw, as the client sent them). */
  variables: Record<string, unknown>;
  operationName: string | undefined;
}

/** The subscription's root field: its response key and every node selecting it (fragments merge). */
export function rootFieldOf(document: DocumentNode, operation: OperationDefinitionNode): { key: string; nodes: FieldNode[] } {
  const fragments = fragmentsOf(document);
  const nodes: FieldNode[] = [];
  const collect = (set: SelectionSetNode, seen: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) nodes.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet, seen);
      else if (!seen.has(selection.name.value)) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet, new Set(seen).add(selection.name.value));
      }
    }
  };
  collect(operation.selectionSet, new Set());
  const first = nodes[0];
  if (!first) throw new Error('a subscription selects one root field; validation should have refused this document');
  return { key: first.alias?.value ?? first.name.value, nodes };
}

/**
 * Rewrites a validated subscription document into the query that fetches the entity of one
 * event, keeping what the subscriber wrote: aliases, fragments, directives and variables.
 * Under the event type only `<entityField>` selections survive (each becomes
 * `<same alias>: <entityField>(id: $id)` at the query root); `type`, `at` and `__typename`
 * come from the event itself. Fragments on the event type are inlined (their spread's
 * directives kept); fragments used under the entity are copied; unused variables and
 * fragments are dropped, since GraphQL refuses them. Abstract-typed selection sets get a
 * `__typename`, so the result can be completed again on this side.
 */
export function buildEntityQuery(opts: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  entityField: string;
  variables: Record<string, unknown>;
}): EntityQuery {
  const { document, operation, entityField } = opts;
  const fragments = fragmentsOf(document);
  const usedNames = new Set((operation.variableDefinitions ?? []).map((v) => v.variable.name.value));
  let idVariable = 'id';
  while (usedNames.has(idVariable)) idVariable += '_';
  const idArgument = {
    kind: Kind.ARGUMENT,
    name: { kind: Kind.NAME, value: 'id' },
    value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: idVariable } },
  } as const;

  // The event type's selection set, turned into the query root's.
  const rewrite = (set: SelectionSetNode, seen: ReadonlySet<string>): SelectionNode[] => {
    const out: SelectionNode[] = [];
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === entityField) out.push({ ...selection, arguments: [idArgument] });
        continue;
      }
      const inner =
        selection.kind === Kind.INLINE_FRAGMENT
          ? rewrite(selection.selectionSet, seen)
          : seen.has(selection.name.value)
            ? []
            : rewrite(fragments.get(selection.name.value)?.selectionSet ?? emptySet, new Set(seen).add(selection.name.value));
      if (inner.length === 0) continue;
      const inline: InlineFragmentNode = {
        kind: Kind.INLINE_FRAGMENT,
        directives: selection.directives,
        selectionSet: { kind: Kind.SELECTION_SET, selections: inner },
      };
      out.push(inline);
    }
    return out;
  };
  const root = rootFieldOf(document, operation);
  const selections = root.nodes.flatMap((node) => (node.selectionSet ? rewrite(node.selectionSet, new Set()) : []));
  const operationName = operation.name?.value;
  if (selections.length === 0) return { query: null, idVariable, variables: {}, operationName };

  // Fragments reachable from the new selections, and the variables all of it uses.
  const keptFragments = new Map<string, FragmentDefinitionNode>();
  const variableNames = new Set<string>();
  const scan = (node: SelectionNode | FragmentDefinitionNode) =>
    visit(node, {
      Variable(variable) {
        variableNames.add(variable.name.value);
      },
      FragmentSpread(spread) {
        const name = spread.name.value;
        const fragment = fragments.get(name);
        if (fragment && !keptFragments.has(name)) {
          keptFragments.set(name, fragment);
          scan(fragment);
        }
      },
    });
  selections.forEach(scan);

  const idDefinition: VariableDefinitionNode = {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: idVariable } },
    type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
  };
  const query: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: OperationTypeNode.QUERY,
    name: operation.name,
    variableDefinitions: [
      idDefinition,
      ...(operation.variableDefinitions ?? []).filter((v) => variableNames.has(v.variable.name.value)),
    ],
    selectionSet: { kind: Kind.SELECTION_SET, selections },
  };
  const built: DocumentNode = withAbstractTypenames(opts.schema, {
    kind: Kind.DOCUMENT,
    definitions: [query, ...keptFragments.values()],
  });
  const variables: Record<string, unknown> = {};
  for (const name of [...variableNames].sort()) {
    if (name !== idVariable && opts.variables[name] !== undefined) variables[name] = opts.variables[name];
  }
  return { query: print(built), idVariable, variables, operationName };
}

const emptySet: SelectionSetNode = { kind: Kind.SELECTION_SET, selections: [] };
const typenameField: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
}

/** Adds `__typename` to selection sets on interfaces and unions, where completing needs it. */
function withAbstractTypenames(schema: GraphQLSchema, document: DocumentNode): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet(node) {
        const type = typeInfo.getParentType();
        const has = node.selections.some((s) => s.kind === Kind.FIELD && !s.alias && s.name.value === '__typename');
        if (!type || !isAbstractType(type) || has) return undefined;
        return { ...node, selections: [...node.selections, typenameField] };
      },
    }),
  );
}
