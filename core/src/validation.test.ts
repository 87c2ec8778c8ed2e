import { z } from 'zod';
import { fields, validate, validId } from './validation';
import { badInputOf } from './testing/bad-input';

const deviceInput = z.object({
  name: fields.name,
  labels: z.array(fields.label).default([]),
  settings: z.object({ owner: fields.email.optional(), tags: z.array(z.object({ key: fields.name })).optional() }).optional(),
});

describe('validate', () => {
  it('returns the parsed value, with transformations applied', () => {
    expect(validate(deviceInput, { name: '  boiler-1  ', settings: { owner: ' Ops@ACME.io ' } }, 'input')).toEqual({
      name: 'boiler-1',
      labels: [],
      settings: { owner: 'ops@acme.io' },
    });
  });

  it('names a top-level field by its path from the argument', () => {
    const error = badInputOf(() => validate(deviceInput, { name: '   ' }, 'input'));
    expect(error.extensions.field).toBe('input.name');
    expect(error.message).toBe('input.name: must not be empty');
  });

  it('names a list item by its index: input.labels.1', () => {
    const error = badInputOf(() => validate(deviceInput, { name: 'x', labels: ['site=berlin', 'bad label'] }, 'input'));
    expect(error.extensions.field).toBe('input.labels.1');
    expect(error.message).toMatch(/^input\.labels\.1: labels are 1-63 characters/);
  });

  it('names deeply nested fields: input.settings.tags.0.key', () => {
    const error = badInputOf(() => validate(deviceInput, { name: 'x', settings: { tags: [{ key: '' }] } }, 'input'));
    expect(error.extensions.field).toBe('input.settings.tags.0.key');
  });

  it('names a missing required field', () => {
    expect(badInputOf(() => validate(deviceInput, {}, 'input')).extensions.field).toBe('input.name');
  });

  it('reports only the first problem', () => {
    const error = badInputOf(() => validate(deviceInput, { name: '', labels: ['-bad'] }, 'input'));
    expect(error.extensions.field).toBe('input.name');
  });

  it('names just the argument when the value itself is wrong', () => {
    expect(badInputOf(() => validate(fields.name, '', 'name')).extensions.field).toBe('name');
    expect(badInputOf(() => validate(deviceInput, 'not an object', 'input')).extensions.field).toBe('input');
  });
});

describe('validId', () => {
  it('accepts a uuid and returns it', () => {
    expect(validId('0190b6f0-0000-7000-8000-0000000000aa')).toBe('0190b6f0-0000-7000-8000-0000000000aa');
  });

  it.each(['', '42', 'not-a-uuid', '0190b6f0-0000-7000-8000-0000000000a', '0190b6f0-0000-7000-8000-0000000000aa '])(
    'refuses %p naming "id" by default',
    (value) => {
      const error = badInputOf(() => validId(value));
      expect(error.extensions.field).toBe('id');
      expect(error.message).toBe('id: must be a valid id');
    },
  );

  it.each([null, 12, undefined])('refuses the non-string %p naming "id"', (value) => {
    expect(badInputOf(() => validId(value)).extensions.field).toBe('id');
  });

  it('names the given argument', () => {
    expect(badInputOf(() => validId('x', 'profileId')).extensions.field).toBe('profileId');
  });
});

describe('fields', () => {
  it('email trims and lowercases, and refuses non-addresses', () => {
    expect(fields.email.parse('  Ops@Acme.IO\t')).toBe('ops@acme.io');
    expect(fields.email.safeParse('ops at acme').success).toBe(false);
    expect(fields.email.safeParse('').success).toBe(false);
    expect(fields.email.safeParse(`${'a'.repeat(250)}@x.io`).success).toBe(false);
  });

  it('name trims and is 1..200 characters', () => {
    expect(fields.name.parse('  acme  ')).toBe('acme');
    expect(fields.name.safeParse('   ').success).toBe(false);
    expect(fields.name.parse('n'.repeat(200))).toHaveLength(200);
    expect(fields.name.safeParse('n'.repeat(201)).success).toBe(false);
    // Trimmed before the length check: surrounding spaces do not count.
    expect(fields.name.parse(` ${'n'.repeat(200)} `)).toHaveLength(200);
  });

  it('description trims and allows at most 2000 characters (empty is fine)', () => {
    expect(fields.description.parse('  hi ')).toBe('hi');
    expect(fields.description.parse('')).toBe('');
    expect(fields.description.safeParse('d'.repeat(2001)).success).toBe(false);
  });

  it('password is 12..200 characters and is not trimmed', () => {
    expect(fields.password.safeParse('elevenchars').success).toBe(false);
    expect(fields.password.parse(' twelve chars ')).toBe(' twelve chars ');
    expect(fields.password.safeParse('p'.repeat(201)).success).toBe(false);
  });

  it.each(['site=berlin', 'a', 'A1', 'env:prod', 'path/to/x', 'v1.2_3-rc', '0', 'x'.repeat(63)])('label accepts %p', (label) => {
    expect(fields.label.safeParse(label).success).toBe(true);
  });

  it.each(['', '-leading-dash', '.dot', '=x', 'has space', 'ünïcode', 'semi;colon', 'x'.repeat(64), 'tab\t', 'new\nline'])(
    'label refuses %p',
    (label) => {
      expect(fields.label.safeParse(label).success).toBe(false);
    },
  );
});
