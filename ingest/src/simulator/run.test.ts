import type { SimulationOptions } from './args';
import type { Fleet, SimDevice } from './provision';
import { runSimulation, type AcceptedEvent } from './run';
import type { ProgressSnapshot } from './stats';
import type { OutgoingMessage, TelemetryPointPayload } from './telemetry';
import { SendError, type DeviceLink, type Transport } from './transports/transport';

const options = (overrides: Partial<SimulationOptions> = {}): SimulationOptions => ({
  devices: 5,
  rate: 50,
  protocol: 'mqtt',
  durationSeconds: 0.2,
  apiUrl: 'http://unused.invalid/graphql',
  intakeHttpUrl: 'http://unused.invalid',
  mqttUrl: 'mqtt://unused.invalid',
  email: 'admin@ump.local',
  password: 'unused',
  tenant: 'simulator',
  keys: ['temperature', 'humidity', 'seq'],
  batch: 1,
  ...overrides,
});

const fleetOf = (n: number): Fleet => ({
  tenantId: 't',
  operatorToken: 'op',
  devices: Array.from({ length: n }, (_, i) => ({ index: i + 1, id: `id-${i + 1}`, name: `sim-${i + 1}`, token: `tok-${i + 1}` })),
});

/** A transport in memory: records every message; `behave` decides each device's fate. */
function fakeTransport(behave: (device: SimDevice, message: OutgoingMessage) => Promise<void> = async () => undefined) {
  const sent: Array<{ device: SimDevice; message: OutgoingMessage; at: number }> = [];
  const closed: string[] = [];
  const refused = new Set<string>();
  const transport: Transport & { sent: typeof sent; closed: typeof closed; refused: typeof refused; released: boolean } = {
    sent,
    closed,
    refused,
    released: false,
    async connect(device): Promise<DeviceLink> {
      if (refused.has(device.name)) throw new SendError('connect:not-authorized');
      return {
        send: (message) => {
          sent.push({ device, message, at: performance.now() });
          return behave(device, message);
        },
        isConnected: () => !closed.includes(device.name),
        close: async () => void closed.push(device.name),
      };
    },
    async close() {
      transport.released = true;
    },
  };
  return transport;
}

describe('runSimulation', () => {
  it('sends devices × rate × duration messages, spread over the devices, and closes everything', async () => {
    const transport = fakeTransport();
    const accepted: AcceptedEvent[] = [];
    const stats = await runSimulation(options(), { fleet: fleetOf(5), transport, onAccepted: (e) => accepted.push(e) });

    expect(stats).toMatchObject({ devices: 5, connected: 5, sent: 50, acknowledged: 50, failed: 0, points: 50, dataPoints: 150, aborted: false });
    expect(stats.latency.count).toBe(50);
    expect(accepted).toHaveLength(50);
    expect(transport.closed.sort()).toEqual(['sim-1', 'sim-2', 'sim-3', 'sim-4', 'sim-5']);
    expect(transport.released).toBe(true);

    for (const device of fleetOf(5).devices) {
      const mine = transport.sent.filter((s) => s.device.name === device.name);
      expect(mine).toHaveLength(10);
      const seqs = mine.map((s) => (s.message.payload as TelemetryPointPayload).values.seq);
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
    // Start times are spread: the devices' first messages go out one after another, in fleet order.
    const first = transport.sent.slice(0, 5).map((s) => s.device.name);
    expect(first).toEqual(['sim-1', 'sim-2', 'sim-3', 'sim-4', 'sim-5']);
  });

  it('counts failures by reason: refused connections, rejected messages, timeouts', async () => {
    const transport = fakeTransport(async (device) => {
      if (device.name === 'sim-2') throw new SendError('http-429');
      if (device.name === 'sim-3') return new Promise<void>(() => undefined); // never acknowledged
    });
    transport.refused.add('sim-4');
    const stats = await runSimulation(options({ ackTimeoutMs: 30, maxInFlightPerDevice: 1_000 }), { fleet: fleetOf(5), transport });

    expect(stats.connected).toBe(4);
    expect(stats.sent).toBe(50);
    expect(stats.acknowledged).toBe(20);
    expect(stats.failures).toEqual({ 'connect:not-authorized': 1, 'http-429': 10, timeout: 10, 'not-connected': 10 });
    expect(stats.failed).toBe(30);
    expect(stats.acknowledged + stats.failed).toBe(stats.sent);
  });

  it('drops messages of a device whose earlier ones are still unacknowledged (backpressure)', async () => {
    const transport = fakeTransport(() => new Promise<void>(() => undefined));
    const stats = await runSimulation(options({ devices: 1, rate: 100, ackTimeoutMs: 1_000, maxInFlightPerDevice: 3, durationSeconds: 0.1 }), {
      fleet: fleetOf(1),
      transport,
    });
    expect(transport.sent).toHaveLength(3);
    expect(stats.failures).toEqual({ backpressure: 7, timeout: 3 });
  });

  it('stops when aborted, lets messages in flight settle, and reports it was aborted', async () => {
    const stop = new AbortController();
    const transport = fakeTransport(async (_device, message) => {
      if (message.seq === 3) stop.abort();
    });
    const stats = await runSimulation(options({ devices: 1, rate: 100, durationSeconds: undefined }), { fleet: fleetOf(1), transport, signal: stop.signal });
    expect(stats.aborted).toBe(true);
    expect(stats.sent).toBe(3);
    expect(stats.acknowledged).toBe(3);
    expect(transport.closed).toEqual(['sim-1']);
  });

  it('reports progress in every phase and a final snapshot', async () => {
    const snapshots: ProgressSnapshot[] = [];
    const ready: Fleet[] = [];
    await runSimulation(options(), {
      fleet: fleetOf(5),
      transport: fakeTransport(),
      progressIntervalMs: 20,
      onReady: (f) => ready.push(f),
      onProgress: (s) => snapshots.push(s),
    });
    expect(ready).toHaveLength(1);
    const last = snapshots[snapshots.length - 1]!;
    expect(last).toMatchObject({ phase: 'done', sent: 50, acknowledged: 50, inFlight: 0, connected: 5 });
    expect(snapshots.some((s) => s.phase === 'sending' && s.connected === 5 && s.msgsPerSec > 0)).toBe(true);
    const windows = snapshots.reduce((n, s) => n + s.window.count, 0);
    expect(windows).toBe(50);
  });

  it.each([{ rate: 0 }, { rate: Number.NaN }, { batch: 0 }, { devices: 0 }])('refuses %p', async (bad) => {
    await expect(runSimulation(options(bad), { fleet: fleetOf(1), transport: fakeTransport() })).rejects.toThrow(RangeError);
  });
});
