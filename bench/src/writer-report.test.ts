import { median, renderWriterReport } from './writer-report';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('renderWriterReport', () => {
  it('shows the median of each figure beside every run', () => {
    const run = (wallMs: number, main: number) => ({ wallMs, mainUsPerMessage: main, cpuUsPerMessage: main * 2, gcShare: main / 1000 });
    const report = renderWriterReport({
      startedAt: new Date('2026-12-07T18:00:00Z'),
      argv: ['--messages', '100000'],
      messages: 100_000,
      devices: 5_000,
      keys: 3,
      runs: [run(10_000, 60), run(8_000, 50), run(20_000, 90)],
      bus: 'in-process',
      machine: '2 × test CPU',
    });
    expect(report).toContain('| stored, msg/s | **10,000** | 10,000 · 12,500 · 5,000 |');
    expect(report).toContain('| main thread busy, µs per message | **60.0** | 60.0 · 50.0 · 90.0 |');
    expect(report).toContain('| garbage collection, share of the time | **6.0 %** |');
    expect(report).toContain('npm run bench:writer -- --messages 100000');
    expect(report).toContain('the in-process bus');
  });

  it('names Kafka when the messages went through it', () => {
    const report = renderWriterReport({
      startedAt: new Date(0), argv: ['--runs', '1'], messages: 1, devices: 1, keys: 1, machine: 'm', bus: 'kafka',
      runs: [{ wallMs: 1, mainUsPerMessage: 1, cpuUsPerMessage: 1, gcShare: 0 }],
    });
    expect(report).toContain('Kafka (KAFKA_BROKERS');
    expect(report).toContain('KAFKA_BROKERS=… npm run bench:writer -- --runs 1');
  });

  it('shows the plain command when no flag was given', () => {
    const report = renderWriterReport({
      startedAt: new Date(0), argv: [], messages: 1, devices: 1, keys: 1, machine: 'm', bus: 'in-process',
      runs: [{ wallMs: 1, mainUsPerMessage: 1, cpuUsPerMessage: 1, gcShare: 0 }],
    });
    expect(report).toContain('```\nnpm run bench:writer\n```');
  });
});
