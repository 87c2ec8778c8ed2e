import { parseSimulatorArgs, simulatorUsage, UsageError } from './args';
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
      firmware: { title: 'ump-sim', version: '1.0.0' },
      behaviours: [],
      ota: undefined,
    });
  });

  it('reads the firmware and OTA flags, with their defaults', () => {
    expect(parseSimulatorArgs(['--ota'], env)).toMatchObject({ ota: { pollSeconds: 5, failureRate: 0, seed: 0, installMs: 2_000 } });
    const options = parseSimulatorArgs(
      [
        '--firmware', 'acme-fw@0.9.1', '--ota', '--ota-poll-seconds', '0.5', '--ota-failure-rate', '0.1', '--ota-seed', '42',
        '--ota-install-seconds', '0', '--ota-behaviour', '2.0.0-bad:temperature+=15', '--ota-behaviour', '2.0.0-bad:battery+=-30',
      ],
      env,
    );
    expect(options).toMatchObject({
      firmware: { title: 'acme-fw', version: '0.9.1' },
      ota: { pollSeconds: 0.5, failureRate: 0.1, seed: 42, installMs: 0 },
      behaviours: [
        { version: '2.0.0-bad', key: 'temperature', delta: 15 },
        { version: '2.0.0-bad', key: 'battery', delta: -30 },
      ],
    });
  });

  it('takes behaviours and firmware without --ota: a fleet may start on a bad version', () => {
    expect(parseSimulatorArgs(['--firmware', 'f@2', '--ota-behaviour', '2:humidity+=3'], env)).toMatchObject({
      firmware: { title: 'f', version: '2' },
      behaviours: [{ version: '2', key: 'humidity', delta: 3 }],
      ota: undefined,
    });
  });

  it.each([
    [['--ota', '--ota-failure-rate', '1.5'], '--ota-failure-rate must be a probability from 0 to 1'],
    [['--ota', '--ota-failure-rate=-0.1'], '--ota-failure-rate must be a probability'],
    [['--ota', '--ota-failure-rate', 'often'], '--ota-failure-rate must be a probability'],
    [['--ota', '--ota-poll-seconds', '0'], '--ota-poll-seconds must be a number of seconds above 0'],
    [['--ota', '--ota-seed', '1.5'], '--ota-seed must be a whole number'],
    [['--ota', '--ota-install-seconds=-1'], '--ota-install-seconds must be a number of seconds from 0'],
    [['--ota-failure-rate', '0.1'], '--ota-failure-rate has no effect without --ota'],
    [['--ota-seed', '1', '--ota-poll-seconds', '2'], '--ota-poll-seconds, --ota-seed have no effect without --ota'],
    [['--firmware', 'ump-sim'], '--firmware must be title@version'],
    [['--ota-behaviour', '2.0.0:temperature=15'], "--ota-behaviour must be VERSION:KEY+=DELTA (KEY one of temperature, humidity, battery; DELTA a number, may be negative), got '2.0.0:temperature=15'"],
    [['--ota-behaviour', '2.0.0:pressure+=1'], "--ota-behaviour key must be one of temperature, humidity, battery, got 'pressure'"],
    [['--ota-behaviour', '2.0.0:temperature+=x'], "--ota-behaviour delta must be a number, got 'x'"],
    [['--ota-behaviour', '2:temperature+=1', '--ota-behaviour', '2:temperature+=2'], '--ota-behaviour shifts temperature of 2 twice'],
  ])('refuses %j', (argv, message) => {
    expect(usageError(argv)).toContain(message);
  });

  it('documents the OTA flags and the behaviour syntax in --help', () => {
    for (const flag of ['--ota ', '--ota-poll-seconds', '--ota-failure-rate', '--ota-seed', '--ota-install-seconds', '--ota-behaviour', '--firmware', 'VERSION:KEY+=DELTA']) {
      expect(simulatorUsage).toContain(flag);
    }
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
      firmware: { title: 'ump-sim', version: '1.0.0' },
      behaviours: [],
      ota: undefined,
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
