import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { mapConcurrent } from '@ump/ingest/src/simulator';

/** The selection every subscriber sends: alert, device and analytics subgraphs in one event. */
export const SUBSCRIPTION = `subscription BenchAlerts($ruleId: ID!) {
  alertEvents(filter: { ruleId: $ruleId }) {
    type
    at
    alert { id severity status rule { name } device { id name labels latest { key value } } }
  }
}`;

interface Arrival {
  deviceId: string;
  type: string;
  at: number;
}

/** What one subscriber saw. */
export interface SubscriberLog {
  arrivals: Arrival[];
  /** Close code when the server closed the socket, with its reason. */
  closed?: { code: number; reason: string };
  errors: string[];
}

export interface Subscribers {
  logs: SubscriberLog[];
  /** How many subscribers have seen `type` for `deviceId`. */
  count(deviceId: string, type: string): number;
  close(): Promise<void>;
}

/**
 * Opens `count` graphql-ws connections to `url` (one socket each, as `count` browser tabs
 * would), authenticated with `token` in connection_init, each subscribed to alert events of
 * `ruleId`. Resolves once every socket is acknowledged and subscribed.
 */
export async function openSubscribers(opts: { url: string; token: string; ruleId: string; count: number; onProgress?: (n: number) => void }): Promise<Subscribers> {
  const wsUrl = opts.url.replace(/^http/, 'ws');
  const seen = new Map<string, number>();
  const clients: Client[] = [];
  let opened = 0;
  const logs = await mapConcurrent(
    Array.from({ length: opts.count }, (_, i) => i),
    50,
    async () => {
      const log: SubscriberLog = { arrivals: [], errors: [] };
      let acknowledged!: () => void;
      const connected = new Promise<void>((resolve) => (acknowledged = resolve));
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${opts.token}` },
        lazy: false,
        retryAttempts: 0,
        on: {
          connected: () => acknowledged(),
          closed: (event) => {
            const { code, reason } = event as { code: number; reason: string };
            if (code !== 1000) log.closed = { code, reason };
          },
        },
      });
      clients.push(client);
      client.subscribe(
        { query: SUBSCRIPTION, variables: { ruleId: opts.ruleId } },
        {
          next: (result) => {
            const at = performance.now();
            const event = (result.data as { alertEvents?: { type: string; alert?: { device?: { id: string } } } } | null)?.alertEvents;
            if (result.errors?.length) log.errors.push(result.errors.map((e) => e.message).join('; '));
            if (!event?.alert?.device) return;
            const key = `${event.alert.device.id}:${event.type}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
            log.arrivals.push({ deviceId: event.alert.device.id, type: event.type, at });
          },
          error: (error) => log.errors.push(error instanceof Error ? error.message : JSON.stringify(error)),
          complete: () => undefined,
        },
      );
      await connected;
      opts.onProgress?.(++opened);
      return log;
    },
  );
  return {
    logs,
    count: (deviceId, type) => seen.get(`${deviceId}:${type}`) ?? 0,
    async close() {
      await Promise.all(clients.map((client) => client.dispose()));
    },
  };
}
