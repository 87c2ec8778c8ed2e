import { UsageError } from '@ump/ingest/src/simulator';
import { parseBenchArgs } from './args';

describe('parseBenchArgs', () => {
  it('defaults to a bounded run with seq among three keys', () => {
    const options = parseBenchArgs([], { UMP_ADMIN_PASSWORD: 'pw from env' }, '/repo');
    expect(options).toMatchObject({
      startPlatform: false,
      warmupSeconds: 10,
      outDir: '/repo/bench/results',
      e2eIntervalMs: 1000,
      platformPid: undefined,
      simulation: { devices: 1000, durationSeconds: 60, keys: ['temperature', 'humidity', 'seq'], tenant: 'bench' },
    });
  });

  it('adds seq to the keys, and needs no password when it starts the platform', () => {
    const options = parseBenchArgs(['--start-platform', '--keys', 'temperature', '--duration', '20'], {}, '/repo');
    expect(options).toMatchObject({ startPlatform: true, warmupSeconds: 4, simulation: { keys: ['temperature', 'seq'] } });
  });

  it('reads its own flags', () => {
    const options = parseBenchArgs(['--warmup', '5', '--out', 'x/y', '--e2e-interval', '0', '--platform-pid', '4242'], { UMP_ADMIN_PASSWORD: 'pw' }, '/repo');
    expect(options).toMatchObject({ warmupSeconds: 5, outDir: '/repo/x/y', e2eIntervalMs: 0, platformPid: 4242 });
  });

  it('answers --help', () => {
    expect(parseBenchArgs(['--help'], {}, '/repo')).toBe('help');
  });

  it.each([
    [['--warmup', '60', '--duration', '30'], '--warmup (60) must be shorter than --duration (30)'],
    [['--e2e-interval', 'often'], '--e2e-interval must be a number'],
    [['--platform-pid', '12', '--start-platform'], 'exclude each other'],
    [['--platform-pid', '1.5'], '--platform-pid must be a process id'],
    [['--devices', '0'], '--devices must be a whole number'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j', (argv, message) => {
    const parse = () => parseBenchArgs(argv, { UMP_ADMIN_PASSWORD: 'pw' }, '/repo');
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
  });

  it('requires the admin password when it targets a running platform', () => {
    expect(() => parseBenchArgs([], {}, '/repo')).toThrow('--password (or UMP_ADMIN_PASSWORD) is required');
  });
});
