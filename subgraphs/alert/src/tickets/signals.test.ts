// The automation behind the alert side's signal handling: signals in, tickets and their
// events out, with the hooks running inside the alert transaction.
import type { PrismaClient } from '@ump/db';
import { eventually } from '@ump/core/src/testing/eventually';
import { seedTenant, signals } from '../../test/fixture';
import { applySignal } from '../signals/apply';
import { DEFAULT_FLAP_POLICY } from '../signals/flapping';
import { createTicketAutomation } from './automation';
import { createTicketWorld, type TicketWorld } from './testing';

jest.setTimeout(60_000);

let world: TicketWorld;
let prisma: PrismaClient;
beforeAll(async () => {
  world = await createTicketWorld();
  prisma = world.prisma;
});
afterAll(() => world?.close());

test('a firing opens a ticket, its clearing resolves it, a new firing re-opens it', async () => {
  const seed = await seedTenant(prisma);
  await prisma.ticketPolicy.create({ data: { tenantId: seed.tenant.id, name: 'on-call', minSeverity: 'MAJOR', priority: 'P1', slaMinutes: 15 } });
  const tickets = createTicketAutomation({ bus: world.bus, logger: world.logger });
  const opts = { flap: DEFAULT_FLAP_POLICY, tickets };
  const next = signals({ tenantId: seed.tenant.id, ruleId: seed.rule.id, deviceId: seed.device.id });
  const typesOf = (ticketId: string) => world.events.filter((event) => event.ticketId === ticketId).map((event) => event.type);

  const raised = await applySignal(prisma, next('firing'), opts);
  if (!raised.applied) throw new Error(`signal ignored: ${raised.reason}`);
  const ticketId = raised.alert.ticketId!;
  expect(ticketId).toEqual(expect.any(String));
  const ticket = await prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } });
  expect(ticket).toMatchObject({ status: 'OPEN', priority: 'P1', title: `hot on ${seed.device.name}` });
  expect(ticket.slaDueAt!.getTime() - ticket.createdAt.getTime()).toBeGreaterThanOrEqual(15 * 60_000 - 1_000);
  await eventually(() => typesOf(ticketId).join() === 'opened');

  await applySignal(prisma, next('resolved'), opts);
  expect((await prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } })).status).toBe('RESOLVED');
  await eventually(() => typesOf(ticketId).join() === 'opened,resolved');

  const again = await applySignal(prisma, next('firing'), opts);
  expect(again.applied && again.alert.ticketId).toBe(ticketId);
  expect(await prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } })).toMatchObject({ status: 'OPEN', resolvedAt: null });
  await eventually(() => typesOf(ticketId).join() === 'opened,resolved,reopened');
  expect(await prisma.ticket.count({ where: { tenantId: seed.tenant.id } })).toBe(1);
});
