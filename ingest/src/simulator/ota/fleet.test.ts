import type { SimDevice } from '../provision';
import type { DeviceLink, OtaLink } from '../transports/transport';
import { otaFailureRoll } from './agent';
import { DeviceFirmware } from './firmware';
import { spreadFailures, startOtaFleet, type OtaFleet } from './fleet';
import type { FirmwareAssignment, OtaStatusReport } from './protocol';
import { waitFor } from './testkit';

const firmware: FirmwareAssignment = { id: 'fw-2', title: 'ump-sim', version: '2.0.0', size: 3, sha256: 'c'.repeat(64), url: '/fw' };

/** Devices whose OTA links live in memory: `push` delivers downlink messages, `reports` holds what they sent. */
function memoryFleet(n: number) {
  const inbox = new Map<string, (raw: string) => void>();
  const reports = new Map<string, OtaStatusReport[]>();
  const devices = Array.from({ length: n }, (_, i) => {
    const device: SimDevice = { index: i + 1, id: `device-${i + 1}`, name: `sim-${i + 1}`, token: `t-${i + 1}` };
    const ota: OtaLink = {
      listen: async (onMessage) => void inbox.set(device.name, onMessage),
      report: async (report) => void reports.set(device.name, [...(reports.get(device.name) ?? []), report]),
    };
    const link: DeviceLink = { send: async () => undefined, isConnected: () => true, close: async () => undefined, ota };
    return { device, link, firmware: new DeviceFirmware({ title: 'ump-sim', version: '1.0.0' }) };
  });
  const push = (message: unknown) => inbox.forEach((deliver) => deliver(JSON.stringify(message)));
  return { devices, push, reports };
}

// The downloads are not under test here: every one "succeeds" with the assignment's hash.
const downloader = {
  download: async (fw: FirmwareAssignment) => ({ sha256: fw.sha256, bytes: fw.size, requests: 1 }),
  close: () => undefined,
};

async function rollOut(n: number, seed: number, failureRate: number) {
  const fleet = memoryFleet(n);
  const ota: OtaFleet = await startOtaFleet(fleet.devices, { intakeHttpUrl: 'http://unused.invalid', downloader, seed, failureRate, installMs: 0 });
  fleet.push({ type: 'UPDATE', commandId: 'rollout-1', firmware });
  await waitFor(() => ota.counts().updated + ota.counts().failed === n, 'every device to finish');
  await ota.stop();
  const failed = fleet.devices.filter((d) => d.firmware.version === '1.0.0').map((d) => d.device.name);
  return { counts: ota.counts(), failed, fleet };
}

describe('startOtaFleet', () => {
  it('fails about the configured share of installs, exactly the devices the seeded roll names', async () => {
    const { counts, failed, fleet } = await rollOut(500, 42, 0.2);
    expect(counts).toMatchObject({ agents: 500, inProgress: 0, failures: { 'simulated install failure': failed.length } });
    // 4 standard deviations of a binomial(500, 0.2) either side.
    expect(failed.length).toBeGreaterThan(100 - 36);
    expect(failed.length).toBeLessThan(100 + 36);
    const predicted = fleet.devices.filter((d) => otaFailureRoll(42, d.device.id, 'rollout-1') < 0.2).map((d) => d.device.name);
    expect(failed).toEqual(predicted);
    // Every device announced 1.0.0 first and answered with the command's ids.
    const sample = fleet.reports.get('sim-1')!;
    expect(sample[0]).toMatchObject({ status: 'UPDATED', version: '1.0.0' });
    expect(sample.slice(1).every((r) => r.commandId === 'rollout-1' && r.firmwareId === 'fw-2')).toBe(true);
  });

  it('repeats itself for a seed and differs for another', async () => {
    const a = await rollOut(300, 7, 0.3);
    const b = await rollOut(300, 7, 0.3);
    const c = await rollOut(300, 8, 0.3);
    expect(b.failed).toEqual(a.failed);
    expect(c.failed).not.toEqual(a.failed);
  });

  it.each([0, 1])('fails none or all at rate %p', async (rate) => {
    const { counts } = await rollOut(50, 1, rate);
    expect(counts.failed).toBe(rate * 50);
    expect(counts.updated).toBe((1 - rate) * 50);
  });

  it('leaves out devices that never connected and counts abandoned work as stopped', async () => {
    const fleet = memoryFleet(3);
    fleet.devices[2]!.link = undefined as unknown as DeviceLink;
    const ota = await startOtaFleet(fleet.devices, { intakeHttpUrl: 'http://unused.invalid', downloader, installMs: 60_000 });
    fleet.push({ type: 'UPDATE', commandId: 'long', firmware });
    await waitFor(() => fleet.reports.get('sim-1')?.some((r) => r.status === 'UPDATING'), 'the install');
    expect(ota.counts()).toMatchObject({ agents: 2, inProgress: 2 });
    await ota.stop();
    expect(ota.counts()).toMatchObject({ inProgress: 0, stopped: 2, updated: 0, failed: 0 });
    expect(ota.stateOf('sim-1')).toMatchObject({ commandId: 'long', status: 'UPDATING', outcome: 'STOPPED' });
  });
});

describe('spreadFailures', () => {
  it('fails exactly the share asked for in every prefix of the ids in order', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `id-${String(19 - i).padStart(2, '0')}`);
    const failing = spreadFailures(ids, 0.3);
    const sorted = [...ids].sort();
    for (const n of [10, 20]) expect(sorted.slice(0, n).filter((id) => failing.has(id))).toHaveLength(Math.floor(n * 0.3));
    expect(spreadFailures(ids, 0).size).toBe(0);
    expect(spreadFailures(ids, 1).size).toBe(20);
  });
});
