// startSimulation with OTA over the real HTTP transport, against a local stand-in for the
// intake: the API end-to-end tests use, and telemetry that follows the firmware a device runs.
import { randomBytes } from 'node:crypto';
import type { SimulationOptions } from '../args';
import type { Fleet } from '../provision';
import { startSimulation } from '../run';
import { createDeviceSignal, type TelemetryPointPayload } from '../telemetry';
import { startFakeIntake, waitFor, type FakeIntake } from './testkit';

const keys = ['temperature', 'humidity', 'seq'] as const;

describe('startSimulation with OTA', () => {
  let intake: FakeIntake;
  beforeAll(async () => void (intake = await startFakeIntake()));
  afterAll(() => intake.close());

  const fleet: Fleet = {
    tenantId: 't',
    operatorToken: 'op',
    devices: [1, 2, 3].map((i) => ({ index: i, id: `00000000-0000-4000-8000-00000000000${i}`, name: `sim-0000${i}`, token: `run-${i}` })),
  };
  const options = (): SimulationOptions => ({
    devices: 3,
    rate: 40,
    protocol: 'http',
    apiUrl: 'http://unused.invalid/graphql',
    intakeHttpUrl: intake.url,
    mqttUrl: 'mqtt://unused.invalid',
    email: 'admin@ump.local',
    password: 'unused',
    tenant: 'simulator',
    keys: [...keys],
    batch: 1,
    firmware: { title: 'ump-sim', version: '1.0.0' },
    behaviours: [{ version: '2.0.0-bad', key: 'temperature', delta: 15 }],
    ota: { pollSeconds: 0.02, installMs: 10, failureRate: 0, seed: 1 },
  });

  it('runs devices that announce, update on command, shift telemetry on the bad version only, and stop cleanly', async () => {
    const sim = startSimulation(options(), { fleet });
    expect(await sim.ready).toBe(fleet);
    expect(sim.devices().map((d) => d.firmware.version)).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    for (const d of fleet.devices) expect(intake.reports(d.token)[0]).toMatchObject({ status: 'UPDATED', title: 'ump-sim', version: '1.0.0' });

    // Devices 1 and 2 get the bad firmware once they have sent a few points on the good one.
    await waitFor(() => fleet.devices.every((d) => intake.telemetry(d.token).length >= 5), 'telemetry on 1.0.0');
    const bad = intake.addFirmware({ title: 'ump-sim', version: '2.0.0-bad', bytes: randomBytes(50_000) });
    intake.setPending('run-1', { type: 'UPDATE', commandId: 'c-1', firmware: bad });
    intake.setPending('run-2', { type: 'UPDATE', commandId: 'c-2', firmware: bad });
    await waitFor(() => sim.ota()?.updated === 2, 'two updates');
    expect(sim.device('sim-00001')).toMatchObject({ firmware: { version: '2.0.0-bad' }, connected: true, ota: { commandId: 'c-1', outcome: 'UPDATED' } });
    expect(sim.device('sim-00003')).toMatchObject({ firmware: { version: '1.0.0' }, ota: {} });
    const after = intake.telemetry('run-1').length;
    await waitFor(() => intake.telemetry('run-1').length >= after + 5, 'telemetry on 2.0.0-bad');

    const stats = await sim.stop();
    expect(stats.aborted).toBe(true);
    expect(stats.ota).toMatchObject({ agents: 3, updated: 2, failed: 0, inProgress: 0, reportsLost: 0 });

    // Each point against the same device's signal without behaviours: shifted by 0 before the update, by 15 after.
    for (const device of fleet.devices) {
      const points = (intake.telemetry(device.token) as TelemetryPointPayload[]).sort((a, b) => (a.values.seq as number) - (b.values.seq as number));
      const twin = createDeviceSignal({ seed: device.index, keys });
      const shifts = points.map((p) => Math.round(((p.values.temperature as number) - (twin.next(p.ts).values.temperature as number)) * 100) / 100);
      const switchAt = shifts.indexOf(15);
      if (device.index === 3) expect(switchAt).toBe(-1);
      else {
        expect(switchAt).toBeGreaterThanOrEqual(5);
        expect(shifts.slice(0, switchAt).every((s) => s === 0)).toBe(true);
        expect(shifts.slice(switchAt).every((s) => s === 15)).toBe(true);
      }
      expect(shifts.every((s) => s === 0 || s === 15)).toBe(true);
    }
  });

  it('resolves done and rejects ready when the run ends before starting', async () => {
    const stop = new AbortController();
    stop.abort();
    const sim = startSimulation(options(), { fleet, signal: stop.signal });
    await expect(sim.done).resolves.toMatchObject({ aborted: true });
    await expect(sim.ready).rejects.toThrow('ended before');
  });
});
