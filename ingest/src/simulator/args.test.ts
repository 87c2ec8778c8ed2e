import { parseSimulatorArgs, UsageError } from './args';
import { telemetryKeys } from './telemetry';

const env = { UMP_ADMIN_PASSWORD: 'from the environment' };

function usageError(argv: string[], environment: Record<string, string | undefined> = env): string {
  try {
    parseSimulatorArgs(argv, environment);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseSimulatorArgs', () => {
  it('fills every default, taking the admin from the environment', () => {
    expect(parseSimulatorArgs([], env)).toEqual({
      devices: 10,
      rate: 1,
      protocol: 'mqtt',
      durationSeconds: undefined,
      apiUrl: 'http://localhost:4000/graphql',
      intakeHttpUrl: 'http://localhost:4080',
      mqttUrl: 'mqtt://localhost:1883',
      email: 'admin@ump.local',
      password: 'from the environment',
      tenant: 'simulator',
      keys: [...telemetryKeys],
      batch: 1,
      connectConcurrency: 100,
    });
  });

  it('reads every flag', () => {
    const options = parseSimulatorArgs(
      [
        '--devices', '10000', '--rate', '0.5', '--protocol', 'http', '--duration', '90',
        '--api', 'http://h:4000/graphql', '--intake-http', 'http://h:4080', '--mqtt', 'mqtt://h:1884',
        '--email', 'root@x.io', '--password', 'long enough pw', '--tenant', 'load',
        '--keys', 'temperature, seq', '--batch', '10', '--connect-concurrency', '250',
      ],
      {},
    );
    expect(options).toEqual({
      devices: 10_000,
      rate: 0.5,
      protocol: 'http',
      durationSeconds: 90,
      apiUrl: 'http://h:4000/graphql',
      intakeHttpUrl: 'http://h:4080',
      mqttUrl: 'mqtt://h:1884',
      email: 'root@x.io',
      password: 'long enough pw',
      tenant: 'load',
      keys: ['temperature', 'seq'],
      batch: 10,
      connectConcurrency: 250,
    });
  });

  it('answers --help and -h', () => {
    expect(parseSimulatorArgs(['--help'], {})).toBe('help');
    expect(parseSimulatorArgs(['-h'], {})).toBe('help');
  });

  it('prefers the flags over the environment', () => {
    const options = parseSimulatorArgs(['--email', 'a@b.io', '--password', 'flag password'], { UMP_ADMIN_EMAIL: 'x@y.io', ...env });
    expect(options).toMatchObject({ email: 'a@b.io', password: 'flag password' });
  });

  it.each([
    [['--devices', '0'], '--devices must be a whole number from 1'],
    [['--devices', '1.5'], '--devices must be a whole number'],
    [['--devices', 'many'], '--devices must be a whole number'],
    [['--rate', '0'], '--rate must be a number above 0'],
    [['--rate=-1'], '--rate must be a number above 0'],
    [['--rate', 'fast'], '--rate must be a number above 0'],
    [['--duration', '0'], '--duration must be a number above 0'],
    [['--protocol', 'coap'], '--protocol must be mqtt or http'],
    [['--batch', '0'], '--batch must be a whole number from 1 to 1000'],
    [['--keys', 'temperature,pressure'], '--keys: unknown pressure'],
    [['--keys', ','], '--keys must name at least one'],
    [['--keys', 'seq,seq'], '--keys names a key twice'],
    [['--api', 'localhost:4000'], '--api must be a http:// or https:// URL'],
    [['--mqtt', 'http://localhost:1883'], '--mqtt must be a mqtt://'],
    [['--tenant', ' '], '--tenant must not be empty'],
    [['--connect-concurrency', '0'], '--connect-concurrency must be a whole number'],
  ])('refuses %j', (argv, message) => {
    expect(usageError(argv)).toContain(message);
  });

  it('refuses unknown flags, stray arguments and flags without their value', () => {
    expect(usageError(['--device', '5'])).toMatch(/Unknown option '--device'/);
    expect(usageError(['100'])).toMatch(/positional/i);
    expect(usageError(['--rate'])).toMatch(/--rate/);
  });

  it('requires an admin password from the flag or UMP_ADMIN_PASSWORD', () => {
    expect(usageError([], {})).toContain('--password (or UMP_ADMIN_PASSWORD) is required');
  });

  it('names every problem at once', () => {
    const message = usageError(['--devices', '0', '--rate', 'x', '--protocol', 'coap'], {});
    expect(message.split('\n')).toHaveLength(4);
  });
});
