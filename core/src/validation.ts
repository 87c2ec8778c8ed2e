import { z } from 'zod';
import { badInput } from './errors';

/**
 * Parses resolver input with zod; the first problem becomes BAD_USER_INPUT naming the field
 * by its path from the argument (e.g. `input.name`). Returns the parsed (trimmed) value.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, argument: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = [argument, ...issue.path.map(String)].join('.');
  throw badInput(field, issue.message);
}

/** Common field rules, so every subgraph words and bounds them the same way. */
export const fields = {
  id: z.string().uuid('must be a valid id'),
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  description: z.string().trim().max(2_000, 'must be at most 2000 characters'),
  email: z.string().trim().toLowerCase().email('must be an email address').max(254, 'must be at most 254 characters'),
  password: z.string().min(12, 'must be at least 12 characters').max(200, 'must be at most 200 characters'),
  label: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/=-]{0,62}$/, 'labels are 1-63 characters: letters, digits and . _ : / = -'),
};

/** Validates one id argument; BAD_USER_INPUT naming `argument` when malformed. */
export const validId = (value: unknown, argument = 'id'): string => validate(fields.id, value, argument);
