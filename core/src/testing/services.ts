import net from 'node:net';

export type ServiceName = 'postgres' | 'redis' | 'kafka' | 'clickhouse';

/** Where integration tests find the real services; override with the TEST_* variables. */
export const testServiceUrls: Record<ServiceName, string> = {
  postgres: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
  redis: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  kafka: `kafka://${process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092'}`,
  clickhouse: process.env.TEST_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123',
};

const defaultPorts: Record<string, number> = {
  'postgresql:': 5432,
  'redis:': 6379,
  'kafka:': 9092,
  'http:': 8123,
};

/** Whether CI asked for every integration dependency to be present (UMP_REQUIRE_SERVICES=1). */
export function servicesRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.UMP_REQUIRE_SERVICES === '1' || env.UMP_REQUIRE_SERVICES === 'true';
}

/** Resolves true when a TCP connection to the URL's host and port opens within `timeoutMs`. */
export function canConnect(url: string, timeoutMs = 1_000): Promise<boolean> {
  const parsed = new URL(url);
  const port = Number(parsed.port || defaultPorts[parsed.protocol] || 0);
  return new Promise((resolve) => {
    const socket = net.connect({ host: parsed.hostname.replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const envFlag = (name: ServiceName) => `UMP_TEST_HAS_${name.toUpperCase()}`;

/**
 * Jest global setup of the integration project: probes every service once and records the
 * answer in the environment the test workers inherit. Under UMP_REQUIRE_SERVICES=1 a missing
 * service fails the whole run here, loudly, instead of letting its suites skip.
 */
export async function probeServices(): Promise<void> {
  const missing: string[] = [];
  for (const name of Object.keys(testServiceUrls) as ServiceName[]) {
    const ok = await canConnect(testServiceUrls[name]);
    process.env[envFlag(name)] = ok ? '1' : '0';
    if (!ok) missing.push(`${name} (${testServiceUrls[name]})`);
  }
  if (missing.length === 0) return;
  if (servicesRequired()) {
    throw new Error(`UMP_REQUIRE_SERVICES=1 but these services are not reachable: ${missing.join(', ')}`);
  }
  console.warn(`\nIntegration suites that need these services will be skipped: ${missing.join(', ')}\n`);
}

/**
 * `describe` when every named service answered the global probe, `describe.skip` otherwise.
 * (The probe already failed the run if CI required the services.)
 */
export function describeWith(...services: ServiceName[]): jest.Describe {
  const available = services.every((name) => process.env[envFlag(name)] === '1');
  if (!available && servicesRequired()) {
    throw new Error(`UMP_REQUIRE_SERVICES=1 but ${services.join(', ')} not available`);
  }
  return available ? describe : describe.skip;
}
