import { otaStatuses as platformStatuses } from '@ump/core';
import { otaStatuses, parseAssignment } from './protocol';

const firmware = { id: 'f1', title: 'ump-sim', version: '2.0.0', size: 10, sha256: 'a'.repeat(64), url: '/api/v1/ota/firmware/f1' };

describe('the OTA device protocol', () => {
  it('knows the statuses the platform accepts, in the same order', () => {
    expect([...otaStatuses]).toEqual([...platformStatuses]);
  });

  it('parses UPDATE and CANCEL, ignoring fields it does not know', () => {
    expect(parseAssignment(JSON.stringify({ type: 'UPDATE', commandId: 'c', firmware: { ...firmware, extra: 1 }, more: true }))).toEqual({
      ok: true,
      assignment: { type: 'UPDATE', commandId: 'c', firmware },
    });
    expect(parseAssignment(Buffer.from('{"type":"CANCEL","commandId":"c"}'))).toEqual({ ok: true, assignment: { type: 'CANCEL', commandId: 'c' } });
  });

  it.each([
    ['not json', 'not JSON'],
    ['{"type":"REBOOT","commandId":"c"}', 'type'],
    ['{"type":"UPDATE","commandId":"c"}', 'firmware'],
    [JSON.stringify({ type: 'UPDATE', commandId: 'c', firmware: { ...firmware, sha256: 'xyz' } }), 'firmware.sha256'],
  ])('refuses %s, naming the field', (raw, field) => {
    const parsed = parseAssignment(raw);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toContain(field);
  });
});
