import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Credentials } from './client';

const EVENTS = `subscription($filter: AlertEventFilter) {
  alertEvents(filter: $filter) {
    type
    alert { id severity status device { id name } rule { name } }
  }
}`;

export interface Received {
  type: string;
  alert: { id: string; severity: string; status: string; device: { id: string; name: string }; rule: { name: string } };
}

/** A graphql-ws subscriber, authenticated like a browser app: the token in connection_init. */
export async function subscribeTo<T>(url: string, who: Credentials, query: string, variables: Record<string, unknown>, field: string) {
  const received: T[] = [];
  const errors: unknown[] = [];
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const client: Client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${who.token}` },
    lazy: false,
    retryAttempts: 0,
    on: { connected: () => connected() },
  });
  client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(result.errors);
        if (result.data?.[field]) received.push(result.data[field] as unknown as T);
      },
      error: (error) => errors.push(error),
      complete: () => undefined,
    },
  );
  await ready;
  // graphql-ws does not acknowledge a subscribe message: give the server a moment to register it.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { received, errors, close: () => client.dispose() };
}

export const subscribeToAlerts = (url: string, who: Credentials, filter: Record<string, unknown> = {}) =>
  subscribeTo<Received>(url, who, EVENTS, { filter }, 'alertEvents');
