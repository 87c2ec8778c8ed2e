import { parseStatusReport } from './status';

const limits = { maxFutureSkewMs: 60_000, maxAgeMs: 3_600_000 };
const now = 1_800_000_000_000;
const parse = (body: unknown) => parseStatusReport(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), limits, now);

describe('parseStatusReport', () => {
  test('a full report keeps its fields and takes the device time as `at`', () => {
    const firmwareId = '0190a8e4-7c3b-7000-8000-000000000001';
    const result = parse({ commandId: 'c1', firmwareId, title: 'fw', version: '1.2.0', status: 'DOWNLOADING', progress: 40, ts: now - 1000 });
    expect(result).toEqual({
      ok: true,
      report: { commandId: 'c1', firmwareId, title: 'fw', version: '1.2.0', status: 'DOWNLOADING', progress: 40, at: now - 1000 },
    });
  });

  test('identity fields in the payload are dropped, nulls count as absent', () => {
    const result = parse({ commandId: 'c1', status: 'FAILED', reason: 'flash write error', deviceId: 'x', tenantId: 'y', progress: null });
    expect(result).toEqual({ ok: true, report: { commandId: 'c1', status: 'FAILED', reason: 'flash write error', at: now } });
  });

  test('title and version name an update too (a device announcing what it runs)', () => {
    expect(parse({ title: 'fw', version: '2.0.0', status: 'UPDATED' })).toMatchObject({ ok: true });
  });

  test.each([
    ['a ts from a clock that is not set yet', 0],
    ['a ts far in the future', now + 3_600_000],
    ['a ts older than maxAgeMs', now - 7_200_000],
  ])('%s is replaced by the receive time', (_, ts) => {
    expect(parse({ commandId: 'c1', status: 'UPDATED', ts })).toEqual({ ok: true, report: { commandId: 'c1', status: 'UPDATED', at: now } });
  });

  test.each([
    ['an empty payload', '', '(root): the payload is empty'],
    ['bad JSON', '{"status":', '(root): not valid JSON'],
    ['an array', [{ status: 'UPDATED' }], '(root): expected a JSON object'],
    ['an unknown status', { commandId: 'c1', status: 'DONE' }, 'status: '],
    ['a missing status', { commandId: 'c1' }, 'status: '],
    ['a progress over 100', { commandId: 'c1', status: 'DOWNLOADING', progress: 101 }, 'progress: '],
    ['a fractional progress', { commandId: 'c1', status: 'DOWNLOADING', progress: 1.5 }, 'progress: '],
    ['a firmwareId that is no uuid', { firmwareId: 'abc', status: 'QUEUED' }, 'firmwareId: '],
    ['a ts as a string', { commandId: 'c1', status: 'QUEUED', ts: '2024-01-01' }, 'ts: '],
    ['an empty commandId', { commandId: '', status: 'QUEUED' }, 'commandId: '],
    ['no update named', { status: 'UPDATED', version: '1.0.0' }, '(root): name the update with commandId, firmwareId, or title and version'],
  ])('%s is refused, the reason naming the field', (_, body, reason) => {
    const result = parse(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason.startsWith(reason)).toBe(true);
  });
});
