import {
  DefinitionNode,
  DocumentNode,
  GraphQLError,
  GraphQLSchema,
  Kind,
  parse,
  specifiedRules,
  validate,
} from 'graphql';

/** A client document as read from `schema/operations/`. */
export interface OperationFile {
  /** Repo-relative path, used only for reporting. */
  file: string;
  source: string;
}

export interface OperationProblem {
  file: string;
  /** Operation name, `fragment <Name>`, `(anonymous)`, or `(document)` for syntax errors. */
  operation: string;
  message: string;
  /** `line:column` in the file, when GraphQL knows it. */
  location?: string;
}

function definitionLabel(definition: DefinitionNode): string {
  if (definition.kind === Kind.OPERATION_DEFINITION) return definition.name?.value ?? '(anonymous)';
  if (definition.kind === Kind.FRAGMENT_DEFINITION) return `fragment ${definition.name.value}`;
  return '(document)';
}

/** Which definition of the document an error points into, by source offset. */
function ownerOf(document: DocumentNode, error: GraphQLError): string {
  const start = error.nodes?.[0]?.loc?.start;
  if (start === undefined) return '(document)';
  const owner = document.definitions.find((d) => d.loc && d.loc.start <= start && start < d.loc.end);
  return owner ? definitionLabel(owner) : '(document)';
}

function locationOf(error: GraphQLError): string | undefined {
  const first = error.locations?.[0];
  return first ? `${first.line}:${first.column}` : undefined;
}

/**
 * Validates client documents against an API schema with graphql-js `specifiedRules`.
 * Each file is validated on its own, so a fragment must live in the file that uses it.
 * Never throws: syntax errors and validation errors are returned, one problem per error;
 * an empty result means every operation is valid.
 */
export function validateOperations(schema: GraphQLSchema, files: OperationFile[]): OperationProblem[] {
  const problems: OperationProblem[] = [];
  for (const { file, source } of files) {
    let document: DocumentNode;
    try {
      document = parse(source);
    } catch (error) {
      const parseError = error as GraphQLError;
      problems.push({ file, operation: '(document)', message: parseError.message, location: locationOf(parseError) });
      continue;
    }
    for (const error of validate(schema, document, specifiedRules)) {
      problems.push({ file, operation: ownerOf(document, error), message: error.message, location: locationOf(error) });
    }
  }
  return problems;
}
