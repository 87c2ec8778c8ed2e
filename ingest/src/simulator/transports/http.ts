import http from 'node:http';
import https from 'node:https';
import type { OutgoingMessage } from '../telemetry';
import { SendError, type DeviceLink, type Transport } from './transport';

/** Options of `createHttpTransport`. */
export interface HttpTransportOptions {
  /** Base URL of the HTTP intake, e.g. http://localhost:4080. */
  baseUrl: string;
  /**
   * Sockets kept open to the intake, shared by all devices (default 256). Devices share a
   * keep-alive pool, as they would behind a NAT or a gateway, so 10,000 devices do not need
   * 10,000 sockets; a request waiting for a free socket counts towards its latency.
   */
  maxSockets?: number;
  /** A request without an answer after this long is destroyed (default 10,000 ms). */
  timeoutMs?: number;
}

/**
 * Devices POST `/api/v1/telemetry` with `Authorization: Bearer <token>`. 202 counts as
 * accepted; any other status fails with reason `http-<status>`, socket errors with
 * `network:<code>`.
 */
export function createHttpTransport(opts: HttpTransportOptions): Transport {
  const url = new URL('/api/v1/telemetry', opts.baseUrl);
  const client = url.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256 });
  const timeoutMs = opts.timeoutMs ?? 10_000;

  const post = (token: string, message: OutgoingMessage) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify(message.payload);
      const req = client.request(url, {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      });
      req.setTimeout(timeoutMs, () => req.destroy(new SendError('timeout')));
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(error instanceof SendError ? error : new SendError(`network:${error.code ?? 'error'}`, error.message)),
      );
      req.on('response', (res) => {
        // Drain the body so the socket goes back to the pool.
        res.resume();
        res.on('end', () => (res.statusCode === 202 ? resolve() : reject(new SendError(`http-${res.statusCode}`))));
        res.on('error', (error) => reject(new SendError('network:response', error.message)));
      });
      req.end(body);
    });

  return {
    async connect(device): Promise<DeviceLink> {
      return {
        send: (message) => post(device.token, message),
        isConnected: () => true,
        close: async () => undefined,
      };
    },
    async close() {
      agent.destroy();
    },
  };
}
