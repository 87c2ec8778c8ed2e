// Test fixture (used only by *.test.ts): the real gateway and subscription server over three
// small in-process subgraphs (alert, device, analytics) on a memory bus, so one selection
// spans three subgraphs as it will in the platform.
import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { Gauge, Counter } from 'prom-client';
import {
  alertEventsTopic,
  createLogger,
  createMemoryBus,
  createMemoryCache,
  createMetrics,
  createSubgraphServer,
  issueUserToken,
  notFound,
  requireTenant,
  subgraphContext,
  ticketEventsTopic,
  type AlertEvent,
  type Role,
  type SubgraphContext,
  type TicketEvent,
} from '@ump/core';
import { composeOk } from '@ump/schema/src/testing';
import { eventually } from '@ump/core/src/testing/eventually';
import { createGateway } from '../gateway';
import { serveGateway } from '../serve-gateway';

const JWT_SECRET = 'subscriptions-test-jwt-secret-0123456789';
const INTERNAL_SECRET = 'subscriptions-test-internal-secret-012345';

const ALERT_SDL = `
  scalar DateTime
  enum Severity { CRITICAL MAJOR MINOR WARNING INFO }
  enum AlertEventType { RAISED UPDATED ACKNOWLEDGED CLEARED RESOLVED }
  enum TicketEventType { OPENED UPDATED ASSIGNED COMMENTED LINKED RESOLVED CLOSED REOPENED }
  enum TicketPriority { P1 P2 P3 P4 }
  input AlertEventFilter { severityAtLeast: Severity, deviceId: ID, ruleId: ID, types: [AlertEventType!] }
  input TicketEventFilter { priority: TicketPriority, types: [TicketEventType!], assigneeId: ID }
  type Query { alert(id: ID!): Alert  ticket(id: ID!): Ticket }
  type Alert @key(fields: "id") {
    id: ID!
    severity: Severity!
    device: Device!
    rule: AlertRule!
    ticket: Ticket
    evidence: String
  }
  type AlertRule { id: ID! name: String! }
  type Ticket @key(fields: "id") { id: ID! priority: TicketPriority! slaDueAt: DateTime alerts: [Alert!]! }
  type Device @key(fields: "id", resolvable: false) { id: ID! }
  type AlertEvent { type: AlertEventType! alert: Alert! at: DateTime! }
  type TicketEvent { type: TicketEventType! ticket: Ticket! at: DateTime! }
  type Subscription {
    alertEvents(filter: AlertEventFilter): AlertEvent!
    ticketEvents(filter: TicketEventFilter): TicketEvent!
  }
`;
const DEVICE_SDL = `
  type Query { device(id: ID!): Device }
  type Device @key(fields: "id") { id: ID! name: String! labels: [String!]! }
`;
const ANALYTICS_SDL = `
  type Device @key(fields: "id") { id: ID! latest: [Point!]! }
  type Point { key: String! value: String }
`;

export interface AlertRow {
  id: string;
  tenantId: string;
  severity: string;
  deviceId: string;
  ruleId: string;
  ruleName: string;
  ticketId?: string;
  evidence?: string;
}
export interface TicketRow {
  id: string;
  tenantId: string;
  priority: string;
  slaDueAt: Date;
}

/** The platform in miniature; `close()` stops everything. */
export async function startFixture(opts: { queueSize?: number; reauthenticateMs?: number } = {}) {
  const logger = createLogger({ name: 'test', level: 'silent', format: 'json' });
  const alerts = new Map<string, AlertRow>();
  const tickets = new Map<string, TicketRow>();
  const devices = new Map<string, { id: string; tenantId: string; name: string; labels: string[] }>();
  /** How often each subgraph resolved something: proves filtering and sharing of fetches. */
  const calls = { alert: 0, ticket: 0, device: 0, latest: 0 };

  const inTenant = <T extends { tenantId: string }>(row: T | undefined, ctx: SubgraphContext, what: string): T => {
    const { tenantId } = requireTenant(ctx.identity);
    if (!row || row.tenantId !== tenantId) throw notFound(what);
    return row;
  };
  const subgraph = (name: string, typeDefs: string, resolvers: Record<string, unknown>) => {
    const server = createSubgraphServer<SubgraphContext>({ typeDefs, resolvers: resolvers as never, logger, metrics: createMetrics(name) });
    return { name, server, context: subgraphContext<SubgraphContext>(INTERNAL_SECRET, (identity) => ({ identity })) };
  };
  const alert = subgraph('alert', ALERT_SDL, {
    Query: {
      alert: (_: unknown, args: { id: string }, ctx: SubgraphContext) => {
        calls.alert++;
        return inTenant(alerts.get(args.id), ctx, 'Alert');
      },
      ticket: (_: unknown, args: { id: string }, ctx: SubgraphContext) => {
        calls.ticket++;
        return inTenant(tickets.get(args.id), ctx, 'Ticket');
      },
    },
    Alert: {
      device: (row: AlertRow) => ({ __typename: 'Device', id: row.deviceId }),
      rule: (row: AlertRow) => ({ id: row.ruleId, name: row.ruleName }),
      ticket: (row: AlertRow) => (row.ticketId ? tickets.get(row.ticketId) : null),
    },
    Ticket: { alerts: (row: TicketRow) => [...alerts.values()].filter((a) => a.ticketId === row.id) },
  });
  const device = subgraph('device', DEVICE_SDL, {
    Query: { device: (_: unknown, args: { id: string }, ctx: SubgraphContext) => inTenant(devices.get(args.id), ctx, 'Device') },
    Device: {
      __resolveReference: (ref: { id: string }, ctx: SubgraphContext) => {
        calls.device++;
        return inTenant(devices.get(ref.id), ctx, 'Device');
      },
    },
  });
  const analytics = subgraph('analytics', ANALYTICS_SDL, {
    Device: {
      latest: (ref: { id: string }) => {
        calls.latest++;
        return [{ key: 'temperature', value: `21.5@${ref.id.slice(0, 4)}` }];
      },
    },
  });
  const subgraphs = [alert, device, analytics];
  for (const s of subgraphs) await s.server.start();

  const { supergraphSdl } = composeOk({ alert: ALERT_SDL, device: DEVICE_SDL, analytics: ANALYTICS_SDL });
  const bus = createMemoryBus({});
  const metrics = createMetrics('gateway');
  const gateway = createGateway({
    supergraphSdl,
    localSubgraphs: subgraphs,
    jwtSecret: JWT_SECRET,
    internalSecret: INTERNAL_SECRET,
    cache: createMemoryCache({}),
    logger,
    metrics,
    limits: { maxDepth: 12, maxCost: 20_000 },
  });
  const served = await serveGateway(gateway, {
    port: 0,
    host: '127.0.0.1',
    logger,
    metrics,
    subscriptions: { bus, queueSize: opts.queueSize, reauthenticateMs: opts.reauthenticateMs },
  });
  const url = `ws://127.0.0.1:${served.port}/graphql`;
  const clients: Client[] = [];
  let stopped = false;

  const metric = async (name: string) => {
    const found = metrics.registry.getSingleMetric(name) as Gauge | Counter | undefined;
    return found ? (await found.get()).values.reduce((sum, v) => sum + v.value, 0) : 0;
  };

  return {
    url,
    httpUrl: `http://127.0.0.1:${served.port}/graphql`,
    calls,
    metric,

    /** A tenant with one device, signed-in users by role. */
    async tenant() {
      const tenantId = randomUUID();
      const dev = { id: randomUUID(), tenantId, name: `boiler-${tenantId.slice(0, 4)}`, labels: ['site=berlin'] };
      devices.set(dev.id, dev);
      const token = async (role: Role = 'VIEWER', ttlSeconds = 3600) =>
        (await issueUserToken(JWT_SECRET, { id: randomUUID(), tenantId, role }, ttlSeconds)).token;
      return { tenantId, device: dev, token };
    },

    platformAdminToken: async () => (await issueUserToken(JWT_SECRET, { id: randomUUID(), tenantId: null, role: 'PLATFORM_ADMIN' }, 3600)).token,

    addAlert(row: Omit<AlertRow, 'id' | 'ruleId' | 'ruleName'> & Partial<AlertRow>): AlertRow {
      const full = { id: randomUUID(), ruleId: randomUUID(), ruleName: 'too hot', ...row };
      alerts.set(full.id, full);
      return full;
    },
    addTicket(row: Omit<TicketRow, 'id'>): TicketRow {
      const full = { id: randomUUID(), ...row };
      tickets.set(full.id, full);
      return full;
    },

    /** Publishes an alert event for `row` as the alert subgraph would. */
    async alertEvent(row: AlertRow, extra: Partial<AlertEvent> = {}) {
      const event: AlertEvent = {
        eventId: randomUUID(),
        type: 'raised',
        tenantId: row.tenantId,
        alertId: row.id,
        ruleId: row.ruleId,
        deviceId: row.deviceId,
        severity: row.severity as AlertEvent['severity'],
        status: 'ACTIVE_UNACK',
        flapping: false,
        raisedAt: Date.now(),
        at: Date.now(),
        ...extra,
      };
      await bus.publish(alertEventsTopic.name, [{ key: row.id, value: event }]);
      return event;
    },
    async ticketEvent(row: TicketRow, extra: Partial<TicketEvent> = {}) {
      const event: TicketEvent = {
        eventId: randomUUID(),
        type: 'opened',
        tenantId: row.tenantId,
        ticketId: row.id,
        status: 'OPEN',
        priority: row.priority as TicketEvent['priority'],
        alertIds: [],
        at: Date.now(),
        ...extra,
      };
      await bus.publish(ticketEventsTopic.name, [{ key: row.id, value: event }]);
      return event;
    },
    async publishRaw(topic: string, value: unknown) {
      await bus.publish(topic, [{ key: 'k', value }]);
    },

    /** A graphql-ws client as a front end would make it; closed with the fixture. */
    client(connectionParams: Record<string, unknown> | undefined, webSocketImpl: typeof WebSocket = WebSocket) {
      const closes: Array<{ code: number; reason: string }> = [];
      const client = createClient({
        url,
        webSocketImpl,
        connectionParams,
        retryAttempts: 0,
        on: { closed: (event) => closes.push(event as { code: number; reason: string }) },
      });
      clients.push(client);
      return Object.assign(client, { closes });
    },

    /** Subscribes and collects; `ready` resolves once the server holds the subscription. */
    async subscribe(client: Client, query: string, variables?: Record<string, unknown>) {
      const before = await metric('ump_subscriptions_active');
      const received: Array<{ data?: any; errors?: any[] }> = [];
      const state: { error?: unknown; done: boolean } = { done: false };
      const dispose = client.subscribe(
        { query, variables },
        {
          next: (value) => void received.push(value as never),
          error: (error) => {
            state.error = error;
            state.done = true;
          },
          complete: () => {
            state.done = true;
          },
        },
      );
      await eventually(async () => state.done || (await metric('ump_subscriptions_active')) > before, { what: 'the subscription to register' });
      return { received, state, dispose };
    },

    /** Stops the gateway alone (the bus stays up), as its shutdown would. */
    async stopGateway() {
      if (stopped) return;
      stopped = true;
      await served.close();
    },

    async close() {
      for (const client of clients) await client.dispose();
      if (!stopped) await served.close();
      await bus.close();
      for (const s of subgraphs) await s.server.stop();
    },
  };
}
export type Fixture = Awaited<ReturnType<typeof startFixture>>;
