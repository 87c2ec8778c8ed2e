import { chDateTime, pointLines } from './clickhouse-insert';

const tenantId = '0190f5c2-3b4a-7cde-8f01-23456789abcd';
const deviceId = '0190f5c2-3b4a-7cde-8f01-3456789abcde';

describe('pointLines', () => {
  it('writes one JSON row per key with the typed value columns, escaping every string', () => {
    const body = pointLines(
      [
        {
          messageId: 'm-1', tenantId, deviceId, ts: new Date(Date.UTC(2026, 11, 7, 5, 6, 7, 89)), receivedAt: new Date(Date.UTC(2026, 11, 7, 5, 6, 8, 0)),
          values: { temperature: -21.5, 'door "main"': 'open\n\u00e9\u{1F600}', ok: false, big: 1e21 },
        },
        { messageId: 'm-"2"', tenantId, deviceId, ts: new Date(Date.UTC(2026, 0, 1)), retentionDays: 30, values: { on: true } },
      ],
      365,
    );
    expect(body.endsWith('\n')).toBe(true);
    const common = { tenant_id: tenantId, device_id: deviceId, ts: '2026-12-07 05:06:07.089', message_id: 'm-1', retention_days: 365, received_at: '2026-12-07 05:06:08.000' };
    expect(body.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual([
      { ...common, key: 'temperature', value_num: -21.5, value_str: null, value_bool: null },
      { ...common, key: 'door "main"', value_num: null, value_str: 'open\n\u00e9\u{1F600}', value_bool: null },
      { ...common, key: 'ok', value_num: null, value_str: null, value_bool: 0 },
      { ...common, key: 'big', value_num: 1e21, value_str: null, value_bool: null },
      { tenant_id: tenantId, device_id: deviceId, ts: '2026-01-01 00:00:00.000', message_id: 'm-"2"', retention_days: 30, key: 'on', value_num: null, value_str: null, value_bool: 1 },
    ]);
  });

  it('refuses a point the store cannot keep, naming it', () => {
    const point = { messageId: 'm-3', tenantId: 'acme", "x": "y', deviceId, ts: new Date(), values: { t: 1 } };
    expect(() => pointLines([point], 365)).toThrow(new RangeError('point m-3: tenantId: not a UUID'));
  });

  it('writes nothing for no points', () => {
    expect(pointLines([], 365)).toBe('');
  });
});

describe('chDateTime', () => {
  it('is the UTC text form ClickHouse parses for DateTime64(3)', () => {
    expect(chDateTime(new Date(Date.UTC(2026, 1, 3, 4, 5, 6, 7)))).toBe('2026-02-03 04:05:06.007');
  });
});
