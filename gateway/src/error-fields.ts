import type { ApolloServerPlugin } from '@apollo/server';
import { getLocation, Kind, visit, type DocumentNode, type GraphQLFormattedError, type ValueNode } from 'graphql';
import { ErrorCode } from '@ump/core';

/** Each argument and input-object field of a document, by the source offset of its value. */
function valuePaths(document: DocumentNode) {
  const byOffset = new Map<number, string>();
  const byVariable = new Map<string, string>();
  const walk = (value: ValueNode, path: string) => {
    if (value.loc) byOffset.set(value.loc.start, path);
    if (value.kind === Kind.VARIABLE) byVariable.set(value.name.value, path);
    if (value.kind === Kind.OBJECT) {
      for (const field of value.fields) {
        if (field.loc) byOffset.set(field.loc.start, `${path}.${field.name.value}`);
        walk(field.value, `${path}.${field.name.value}`);
      }
    }
    if (value.kind === Kind.LIST) value.values.forEach((item, i) => walk(item, `${path}.${i}`));
  };
  visit(document, {
    Argument(node) {
      if (node.loc) byOffset.set(node.loc.start, node.name.value);
      walk(node.value, node.name.value);
    },
  });
  return { byOffset, byVariable };
}

/**
 * The input field a GraphQL-level error is about, as `argument.field.path`: for variables
 * that failed coercion (from the path graphql-js puts in the message) and for literals
 * that failed validation (from the error's location in the document).
 */
export function fieldOfError(error: GraphQLFormattedError, document: DocumentNode): string | undefined {
  const { byOffset, byVariable } = valuePaths(document);
  const variable = /^Variable "\$(\w+)" (?:got invalid value .*? at "\1((?:\.[^"]+|\[\d+\])*)"|got invalid value|of required type|of non-null type)/s.exec(
    error.message,
  );
  if (variable) {
    const argument = byVariable.get(variable[1]!);
    // The field graphql-js names inside the value: an unknown one, or a required one missing.
    const inner = /Field "(\w+)" (?:is not defined by type|of required type .* was not provided)/.exec(error.message);
    const rest = (variable[2] ?? '').replace(/\[(\d+)\]/g, '.$1') + (inner ? `.${inner[1]}` : '');
    return argument ? argument + rest : undefined;
  }
  const missingArgument = /^Field "\w+" argument "(\w+)" of type .* is required, but it was not provided\./.exec(error.message);
  if (missingArgument) return missingArgument[1];
  const source = document.loc?.source;
  const location = error.locations?.[0];
  if (!source || !location) return undefined;
  for (const [offset, path] of byOffset) {
    const at = getLocation(source, offset);
    if (at.line === location.line && at.column === location.column) return path;
  }
  return undefined;
}

/**
 * Adds `extensions.field` to BAD_USER_INPUT errors raised by GraphQL itself (coercion and
 * validation), so every bad argument names its field like the resolvers' own errors do.
 */
export function errorFieldsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, document: doc }) {
          // No document means the query did not parse: there is no field to name.
          if (response.body.kind !== 'single' || !response.body.singleResult.errors || !doc) return;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) => {
            if (error.extensions?.code !== ErrorCode.BAD_USER_INPUT || error.extensions.field) return error;
            const field = fieldOfError(error, doc);
            return field ? { ...error, extensions: { ...error.extensions, field } } : error;
          });
        },
      };
    },
  };
}
