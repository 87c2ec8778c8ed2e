import { GraphQLError } from 'graphql';

/** Runs `fn`, expects it to throw a BAD_USER_INPUT GraphQLError, and returns that error. */
export function badInputOf(fn: () => unknown): GraphQLError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    return error as GraphQLError;
  }
  throw new Error('expected BAD_USER_INPUT');
}
