import { createDeviceSignal } from '../telemetry';
import { behaviourAdjuster, parseOtaBehaviour } from './behaviour';
import { DeviceFirmware, parseFirmwareRef } from './firmware';

describe('parseOtaBehaviour', () => {
  it.each([
    ['2.0.0-bad:temperature+=15', { version: '2.0.0-bad', key: 'temperature', delta: 15 }],
    ['1.1.0:battery+=-20', { version: '1.1.0', key: 'battery', delta: -20 }],
    ['v2:humidity+=0.5', { version: 'v2', key: 'humidity', delta: 0.5 }],
    ['build:7:temperature+=1', { version: 'build:7', key: 'temperature', delta: 1 }],
  ])('reads %s', (text, expected) => {
    expect(parseOtaBehaviour(text)).toEqual(expected);
  });

  it.each([
    ['2.0.0:temperature=15', 'must be VERSION:KEY+=DELTA'],
    ['temperature+=15', 'must be VERSION:KEY+=DELTA'],
    ['2.0.0:pressure+=1', "key must be one of temperature, humidity, battery, got 'pressure'"],
    ['2.0.0:seq+=1', 'key must be one of'],
    ['2.0.0:temperature+=hot', "delta must be a number, got 'hot'"],
    ['2.0.0:temperature+=', 'must be VERSION:KEY+=DELTA'],
  ])('refuses %s', (text, message) => {
    const parsed = parseOtaBehaviour(text);
    expect('error' in parsed && parsed.error).toContain(message);
  });
});

describe('parseFirmwareRef', () => {
  it('splits at the last @', () => {
    expect(parseFirmwareRef('ump-sim@1.0.0')).toEqual({ title: 'ump-sim', version: '1.0.0' });
    expect(parseFirmwareRef('@acme/fw@2.0')).toEqual({ title: '@acme/fw', version: '2.0' });
  });
  it.each(['ump-sim', '@1.0.0', 'ump-sim@', 'ump sim@1'])('refuses %s', (text) => {
    expect(parseFirmwareRef(text)).toHaveProperty('error');
  });
});

describe('behaviourAdjuster in a device signal', () => {
  const rules = [parseOtaBehaviour('2.0.0-bad:temperature+=15'), parseOtaBehaviour('2.0.0-bad:humidity+=-5')].map((r) => {
    if ('error' in r) throw new Error(r.error);
    return r;
  });

  it('costs nothing without behaviours', () => {
    expect(behaviourAdjuster([], () => 'x')).toBeUndefined();
  });

  it('shifts readings only while the device runs the named version, and reads the version at every point', () => {
    const firmware = new DeviceFirmware({ title: 'ump-sim', version: '1.0.0' });
    const shifted = createDeviceSignal({ seed: 5, adjust: behaviourAdjuster(rules, () => firmware.version) });
    const twin = createDeviceSignal({ seed: 5 });
    const diffs: Array<[number, number, unknown]> = [];
    for (let i = 0; i < 30; i++) {
      if (i === 10) firmware.install({ title: 'ump-sim', version: '2.0.0-bad' });
      if (i === 20) firmware.install({ title: 'ump-sim', version: '2.0.1' });
      const a = shifted.next(i).values;
      const b = twin.next(i).values;
      diffs.push([
        Math.round(((a.temperature as number) - (b.temperature as number)) * 100) / 100,
        Math.round(((a.humidity as number) - (b.humidity as number)) * 100) / 100,
        a.battery === b.battery && a.door === b.door && a.seq === b.seq,
      ]);
    }
    expect(diffs.slice(0, 10).every(([t, h, same]) => t === 0 && h === 0 && same)).toBe(true);
    expect(diffs.slice(10, 20).every(([t, h, same]) => t === 15 && h === -5 && same)).toBe(true);
    expect(diffs.slice(20).every(([t, h, same]) => t === 0 && h === 0 && same)).toBe(true);
  });
});
