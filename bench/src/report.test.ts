import { LatencyHistogram, type SimulationStats } from '@ump/ingest/src/simulator';
import type { BenchOptions } from './args';
import { commandLine, renderReport, reportStem, type BenchResult } from './report';

const histogram = (values: number[]) => {
  const h = new LatencyHistogram();
  values.forEach((v) => h.record(v));
  return h;
};

const options: BenchOptions = {
  simulation: {
    devices: 10_000,
    rate: 1,
    protocol: 'mqtt',
    durationSeconds: 60,
    apiUrl: 'http://127.0.0.1:1/graphql',
    intakeHttpUrl: 'http://127.0.0.1:2',
    mqttUrl: 'mqtt://127.0.0.1:3',
    email: 'admin@ump.local',
    password: 'secret password',
    tenant: 'bench',
    keys: ['temperature', 'humidity', 'seq'],
    batch: 1,
  },
  startPlatform: true,
  warmupSeconds: 10,
  outDir: '/tmp/out',
  e2eIntervalMs: 1000,
};

const stats: SimulationStats = {
  devices: 10_000,
  connected: 10_000,
  sent: 600_000,
  acknowledged: 600_000,
  failed: 0,
  failures: {},
  points: 600_000,
  dataPoints: 1_800_000,
  latency: histogram([1, 2, 3, 50]),
  provisionMs: 50_000,
  connectMs: 8_000,
  sendMs: 60_000,
  aborted: false,
};

function result(overrides: Partial<BenchResult> = {}): BenchResult {
  return {
    startedAt: new Date('2026-11-27T10:00:00Z'),
    options,
    target: 'embedded platform started by the bench (pid 4242)',
    machine: { cpus: 2, cpuModel: 'Test CPU', totalMemoryBytes: 8 * 2 ** 30, node: 'v20.19.0', os: 'Linux', loadBefore: [0.5, 0.4, 0.3] },
    stats,
    steady: { fromSeconds: 10, toSeconds: 59, msgsPerSec: 10_050, dataPointsPerSec: 30_150, latency: histogram([1, 2, 3, 4]), maxLagMs: 12 },
    e2e: { latency: histogram([80, 120]), sampled: 2, timedOut: 0, errors: {}, pollMs: 25 },
    pipeline: { seconds: 60, acknowledged: 600_000, stored: 240_000 },
    processes: [{ name: 'platform', summary: { samples: 50, avgCpuPercent: 150, maxCpuPercent: 190, avgRssBytes: 2 ** 30, maxRssBytes: 2 ** 31 } }],
    svgFile: 'ingest-mqtt-10000d-2026-11-27T10-00-00Z.svg',
    command: 'npm run bench:ingest -- --devices 10000 --start-platform',
    ...overrides,
  };
}

describe('renderReport', () => {
  it('tables the results, embeds the histogram and states parameters and machine', () => {
    const md = renderReport(result());
    expect(md).toContain('# Ingest benchmark: MQTT, 10,000 devices × 1 msg/s');
    expect(md).toContain('| devices connected | 10,000 / 10,000 |');
    expect(md).toContain('| sustained throughput | **10,050 msg/s**, **30,150 data points/s** |');
    expect(md).toContain('| end-to-end latency p50 / p95 / p99 / max | 80.');
    expect(md).toContain('| CPU platform (avg / max, 100 % = 1 core) | 150 % / 190 % |');
    expect(md).toContain('| RSS platform (avg / max) | 1,024 MiB / 2,048 MiB |');
    expect(md).toContain('![accept latency histogram](ingest-mqtt-10000d-2026-11-27T10-00-00Z.svg)');
    expect(md).toContain('npm run bench:ingest -- --devices 10000 --start-platform');
    expect(md).toContain('2 × Test CPU, 8,192 MiB memory');
    expect(md).not.toContain('secret password');
    expect(renderReport(result({ rateLimits: { tenantPerSecond: 20_000, devicePerSecond: 50 } }))).toContain(
      'Intake rate limits of the started platform: 20,000 msg/s per tenant, 50 per device.',
    );
  });

  it('checks the targets', () => {
    const met = renderReport(result());
    expect(met.match(/✅ met/g)).toHaveLength(4);
    const missed = renderReport(result({ stats: { ...stats, failed: 3, failures: { timeout: 3 } }, steady: undefined }));
    expect(missed).toContain('| 100 % accepted |');
    expect(missed.match(/❌ not met/g)).toHaveLength(3);
    expect(missed).toContain('timeout 3');
  });

  it('says when a figure could not be measured or the generator fell behind', () => {
    const md = renderReport(
      result({
        e2e: { latency: new LatencyHistogram(), sampled: 1, timedOut: 0, errors: {}, pollMs: 25, unavailable: 'Cannot query field "series"' },
        steady: { fromSeconds: 10, toSeconds: 59, msgsPerSec: 5_000, dataPointsPerSec: 15_000, latency: histogram([1]), maxLagMs: 4_000 },
      }),
    );
    expect(md).toContain('not measured: Cannot query field "series"');
    expect(renderReport(result({ pipeline: { unavailable: 'GET /metrics answered 404' } }))).toContain(
      '| stored by the writer while sending | not measured: GET /metrics answered 404 |',
    );
    expect(md).toContain('⚠️ 4 s: the generator could not keep up');
  });
});

describe('pipeline rows', () => {
  it("show what the platform acknowledged and stored while the devices sent, and at what rate", () => {
    const md = renderReport(result());
    expect(md).toContain('| acknowledged by the platform while sending (its own count) | 600,000 messages, 10,000 msg/s over 60.0 s |');
    expect(md).toContain('| stored by the writer while sending | **240,000 messages, 4,000 msg/s over 60.0 s** |');
  });
});

describe('reportStem', () => {
  it('names protocol, devices and a file-system-safe UTC time', () => {
    expect(reportStem('mqtt', 10_000, new Date('2026-11-27T10:00:00.123Z'))).toBe('ingest-mqtt-10000d-2026-11-27T10-00-00Z');
  });
});

describe('commandLine', () => {
  it('keeps the flags but not the password', () => {
    expect(commandLine(['--devices', '10', '--password', 'hunter22hunter', '--password=other secret'])).toBe(
      'npm run bench:ingest -- --devices 10 --password *** --password=***',
    );
  });
});
