import { parsePayload, type PayloadLimits } from './payload';

const NOW = 1_700_000_000_000;
const limits: PayloadLimits = { maxBatch: 3, maxFutureSkewMs: 60_000, maxAgeMs: 24 * 3600_000 };
const parse = (body: unknown) => parsePayload(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), limits, NOW);
const refusal = (body: unknown) => {
  const result = parse(body);
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.points)}`);
  return result;
};

describe('parsePayload: the ThingsBoard formats', () => {
  test('a flat object is one point at the time of receipt', () => {
    expect(parse({ temperature: 25.5, label: 'ok', on: true })).toEqual({
      ok: true,
      points: [{ ts: NOW, values: { temperature: 25.5, label: 'ok', on: true } }],
    });
  });

  test('ts and values is one point at ts', () => {
    expect(parse({ ts: NOW - 1000, values: { temperature: 1 } })).toEqual({ ok: true, points: [{ ts: NOW - 1000, values: { temperature: 1 } }] });
  });

  test('values without ts is timestamped now', () => {
    expect(parse({ values: { a: 1 } })).toEqual({ ok: true, points: [{ ts: NOW, values: { a: 1 } }] });
  });

  test('an array may mix both forms', () => {
    expect(parse([{ a: 1 }, { ts: NOW - 5, values: { b: 'x' } }])).toEqual({
      ok: true,
      points: [
        { ts: NOW, values: { a: 1 } },
        { ts: NOW - 5, values: { b: 'x' } },
      ],
    });
  });

  test('keys may use the safe punctuation, strings may be 1024 characters long', () => {
    const values = { 'room-1.temp:c/avg': 'x'.repeat(1024), _k: false };
    expect(parse(values)).toEqual({ ok: true, points: [{ ts: NOW, values }] });
  });

  test('a __proto__ key stays plain data', () => {
    const result = parse('{"__proto__": 1}');
    expect(result.ok && Object.getPrototypeOf(result.points[0]!.values)).toBe(Object.prototype);
    expect(result.ok && Object.keys(result.points[0]!.values)).toEqual(['__proto__']);
  });
});

describe('parsePayload: refusals name the offending path', () => {
  test.each([
    ['an empty payload', '', '(root): the payload is empty'],
    ['bad JSON', '{"a": ', '(root): not valid JSON ('],
    ['NaN is not JSON', '{"a": NaN}', '(root): not valid JSON ('],
    ['a number too large for a double', '{"a": 1e999}', 'a: expected a number, string or boolean, got a number out of range'],
    ['a nested object', { a: { b: 1 } }, 'a: expected a number, string or boolean, got a nested object'],
    ['null', [{ a: 1 }, { ts: NOW, values: { temp: null } }], '[1].values.temp: expected a number, string or boolean, got null'],
    ['an array value', { a: [1] }, 'a: expected a number, string or boolean, got an array'],
    ['an empty object', {}, '(root): no values, expected at least one key'],
    ['empty values', { ts: NOW, values: {} }, 'values: no values, expected at least one key'],
    ['an empty array', [], '(root): an empty array, expected at least one point'],
    ['a scalar payload', 42, '(root): expected an object, got the number 42'],
    ['a scalar point', [{ a: 1 }, 'x'], '[1]: expected an object, got a string'],
    ['ts without values', { ts: NOW }, 'values: required beside ts'],
    ['values not an object', { ts: NOW, values: 3 }, 'values: expected an object, got the number 3'],
    ['a key beside ts and values', { ts: NOW, values: { a: 1 }, extra: 1 }, 'extra: unexpected beside ts and values'],
    ['a ts string', { ts: '2024-01-01', values: { a: 1 } }, 'ts: expected epoch milliseconds (a non-negative integer), got a string'],
    ['a fractional ts', { ts: NOW + 0.5, values: { a: 1 } }, 'ts: expected epoch milliseconds (a non-negative integer), got the number'],
    ['a future ts', { ts: NOW + 60_001, values: { a: 1 } }, `ts: ${NOW + 60_001} is 60001 ms in the future, at most 60000 ms are accepted`],
    ['an ancient ts', { ts: NOW - 24 * 3600_000 - 1, values: { a: 1 } }, 'ts: 1699913599999 is older than the accepted 86400000 ms'],
    ['a ts in seconds', { ts: NOW / 1000, values: { a: 1 } }, 'is older than the accepted 86400000 ms (epoch milliseconds are expected; was it sent in seconds?)'],
    ['a key with a space', { 'te mp': 1 }, '["te mp"]: invalid key; keys are 1-128 characters'],
    ['an empty key', { '': 1 }, '[""]: invalid key'],
    ['a long key', { ['k'.repeat(129)]: 1 }, 'invalid key'],
    ['a long string', { ts: NOW, values: { s: 'x'.repeat(1025) } }, 'values.s: a string of 1025 characters, at most 1024 are accepted'],
  ])('%s', (_, body, reason) => {
    const result = refusal(body);
    expect(result.status).toBe(400);
    expect(result.reason).toContain(reason);
  });

  test('invalid UTF-8 is refused as not JSON', () => {
    const result = parsePayload(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), limits, NOW);
    expect(result).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining('(root): not valid JSON') });
  });

  test('more than maxBatch points is 413', () => {
    expect(refusal([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }])).toEqual({
      ok: false,
      status: 413,
      reason: '(root): 4 points, at most 3 are accepted at once',
    });
  });
});
