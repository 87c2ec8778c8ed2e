// Fixtures for the alert subgraph's tests: tenant → device → rule, and signals.
import { uuidv7, type AlertSignal, type Severity } from '@ump/core';
import type { PrismaClient } from '@ump/db';

let counter = 0;

/** A tenant with devices and a rule watching the first of them. */
export async function seedTenant(prisma: PrismaClient, opts: { devices?: number; labels?: string[] } = {}) {
  const n = ++counter;
  const tenant = await prisma.tenant.create({ data: { id: uuidv7(), name: `tenant-${process.pid}-${n}-${uuidv7()}` } });
  const profile = await prisma.deviceProfile.create({ data: { id: uuidv7(), tenantId: tenant.id, name: 'thermostat' } });
  const devices = [];
  for (let i = 0; i < (opts.devices ?? 2); i++) {
    devices.push(
      await prisma.device.create({
        data: { id: uuidv7(), tenantId: tenant.id, name: `device-${i}`, profileId: profile.id, labels: i === 0 ? (opts.labels ?? ['site=berlin']) : [] },
      }),
    );
  }
  const rule = await prisma.alertRule.create({
    data: {
      id: uuidv7(),
      tenantId: tenant.id,
      name: 'hot',
      severity: 'MAJOR',
      target: { profileId: profile.id },
      spec: { condition: { key: 'temperature', op: 'GT', value: 30 } },
    },
  });
  return { tenant, profile, devices, device: devices[0]!, rule };
}

/** A signal builder with increasing `at` (each call one second later than the last by default). */
export function signals(base: { tenantId: string; ruleId: string; deviceId: string }, start = Date.now()) {
  let at = start;
  return (type: AlertSignal['type'], extra: { at?: number; severity?: Severity } = {}): AlertSignal => {
    at = extra.at ?? at + 1_000;
    return {
      signalId: `${base.ruleId}:${base.deviceId}:${type}:${at}`,
      type,
      ...base,
      severity: extra.severity ?? 'MAJOR',
      at,
      evidence: { key: 'temperature', value: 35, threshold: '> 30', text: 'temperature 35 > 30' },
    };
  };
}
