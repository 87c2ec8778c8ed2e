import net, { type AddressInfo } from 'node:net';
import { createLogger, createMemoryBus, createMemoryCache, createMetrics } from '@ump/core';
import type { PrismaClient } from '@ump/db';
import { createIntake } from './index';

/** Holds a port on 127.0.0.1 the way Mosquitto holds 1883. */
async function occupy(): Promise<{ port: number; release(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

// Start-up failures happen before any query, so no database is needed.
const intakeOn = (config: { httpPort: number; mqttPort: number }) =>
  createIntake({
    prisma: {} as PrismaClient,
    cache: createMemoryCache(),
    bus: createMemoryBus(),
    logger: createLogger({ name: 'intake', level: 'silent', format: 'json' }),
    metrics: createMetrics('intake'),
    config: { ...config, host: '127.0.0.1' },
  });

test('an MQTT port in use is a start-up error naming MQTT_PORT, and the HTTP listener is closed again', async () => {
  const free = await occupy();
  await free.release();
  const taken = await occupy();
  const intake = intakeOn({ httpPort: free.port, mqttPort: taken.port });
  await expect(intake.start()).rejects.toThrow(`MQTT port ${taken.port} is already in use (EADDRINUSE); set MQTT_PORT to a free port`);
  await taken.release();
  // Both ports are free again: the failed start undid its HTTP listener.
  const retry = intakeOn({ httpPort: free.port, mqttPort: taken.port });
  await expect(retry.start()).resolves.toEqual({ httpPort: free.port, mqttPort: taken.port });
  await retry.stop();
});

test('an HTTP port in use is a start-up error naming INTAKE_HTTP_PORT', async () => {
  const taken = await occupy();
  const intake = intakeOn({ httpPort: taken.port, mqttPort: 0 });
  await expect(intake.start()).rejects.toThrow(`HTTP port ${taken.port} is already in use (EADDRINUSE); set INTAKE_HTTP_PORT to a free port`);
  await taken.release();
});

test('an invalid config is refused when the intake is created', () => {
  expect(() => intakeOn({ httpPort: -1, mqttPort: 70_000 })).toThrow(/httpPort[\s\S]*mqttPort/);
});

test('stop is idempotent and closes both listeners', async () => {
  const intake = intakeOn({ httpPort: 0, mqttPort: 0 });
  const { httpPort, mqttPort } = await intake.start();
  await Promise.all([intake.stop(), intake.stop()]);
  for (const port of [httpPort, mqttPort]) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  }
});
