// Fixtures of the ticket tests: an embedded database with tenants composed step by step
// (tenant → users → profile → device → rule → alert), and the ticket events on a memory bus.
import { createLogger, createMemoryBus, ticketEventsTopic, type EventBus, type Logger, type Severity, type TicketEvent } from '@ump/core';
import { forTenant, type PrismaClient, type TenantDb } from '@ump/db';
import { createEmbeddedTestDatabase, type EmbeddedTestDatabase } from '@ump/db/src/testing';
import type { AlertSnapshot } from './hooks';

export interface TicketWorld {
  database: EmbeddedTestDatabase;
  prisma: PrismaClient;
  bus: EventBus;
  logger: Logger;
  /** Every ticket event published so far, in order. */
  events: TicketEvent[];
  close(): Promise<void>;
}

/** A fresh migrated PGlite and a memory bus whose ticket events are collected in `events`. */
export async function createTicketWorld(): Promise<TicketWorld> {
  const database = await createEmbeddedTestDatabase();
  const bus = createMemoryBus({ partitions: 1 });
  const events: TicketEvent[] = [];
  await bus.subscribe({
    topic: ticketEventsTopic.name,
    groupId: 'ticket-test',
    fromBeginning: true,
    async handleBatch(batch) {
      for (const message of batch.messages) {
        const parsed = ticketEventsTopic.parse(message.value);
        if (!parsed.ok) throw new Error(`invalid ticket event: ${parsed.reason}`);
        events.push(parsed.value);
      }
    },
  });
  return {
    database,
    prisma: database.db.prisma,
    bus,
    logger: createLogger({ name: 'tickets', level: 'silent', format: 'json' }),
    events,
    async close() {
      await bus.close();
      await database.drop();
    },
  };
}

export interface TestTenant {
  id: string;
  db: TenantDb;
  users: { admin: string; operator: string; viewer: string };
  profileId: string;
}

export async function addTenant(prisma: PrismaClient, name: string): Promise<TestTenant> {
  const tenant = await prisma.tenant.create({ data: { name } });
  const user = async (role: 'TENANT_ADMIN' | 'OPERATOR' | 'VIEWER') =>
    (await prisma.user.create({ data: { tenantId: tenant.id, email: `${role.toLowerCase()}@${name}.test`, passwordHash: 'x', role } })).id;
  const users = { admin: await user('TENANT_ADMIN'), operator: await user('OPERATOR'), viewer: await user('VIEWER') };
  const profileId = (await prisma.deviceProfile.create({ data: { tenantId: tenant.id, name: 'boiler' } })).id;
  return { id: tenant.id, db: forTenant(prisma, tenant.id), users, profileId };
}

export async function addDevice(prisma: PrismaClient, tenant: TestTenant, name: string, opts: { labels?: string[]; profile?: boolean } = {}) {
  return prisma.device.create({
    data: { tenantId: tenant.id, name, labels: opts.labels ?? [], profileId: opts.profile === false ? null : tenant.profileId },
  });
}

export async function addRule(prisma: PrismaClient, tenant: TestTenant, name: string, severity: Severity = 'MAJOR') {
  return prisma.alertRule.create({
    data: {
      tenantId: tenant.id,
      name,
      severity,
      target: { profileId: tenant.profileId },
      spec: { condition: { key: 'temperature', op: 'GT', value: 80 } },
    },
  });
}

/** An alert row as the alert side would have written it, and its snapshot for the hooks. */
export async function addAlert(
  prisma: PrismaClient,
  tenant: TestTenant,
  ruleId: string,
  deviceId: string,
  opts: { severity?: Severity; status?: string; suppressed?: boolean } = {},
): Promise<AlertSnapshot> {
  const at = new Date();
  const alert = await prisma.alert.create({
    data: {
      tenantId: tenant.id,
      ruleId,
      deviceId,
      severity: opts.severity ?? 'MAJOR',
      status: opts.status ?? 'ACTIVE_UNACK',
      firstSeenAt: at,
      lastSeenAt: at,
      lastSignalAt: at,
      suppressed: opts.suppressed ?? false,
    },
  });
  return snapshot(alert);
}

export function snapshot(alert: AlertSnapshot): AlertSnapshot {
  const { id, tenantId, ruleId, deviceId, severity, status, ticketId, suppressed } = alert;
  return { id, tenantId, ruleId, deviceId, severity, status, ticketId, suppressed };
}

/** Clears an alert the way the alert side does, and returns its fresh snapshot. */
export async function clearAlert(prisma: PrismaClient, alertId: string): Promise<AlertSnapshot> {
  return snapshot(await prisma.alert.update({ where: { id: alertId }, data: { status: 'CLEARED_UNACK', clearedAt: new Date() } }));
}
