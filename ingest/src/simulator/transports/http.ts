import http from 'node:http';
import https from 'node:https';
import { OTA_PENDING_PATH, OTA_STATUS_PATH } from '../ota/protocol';
import { SendError, type DeviceLink, type OtaLink, type Transport } from './transport';

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
  /** How often a listening device polls `GET /api/v1/ota/pending` (default 5,000 ms). */
  otaPollMs?: number;
}

/**
 * Devices POST `/api/v1/telemetry` with `Authorization: Bearer <token>`. 202 counts as
 * accepted; any other status fails with reason `http-<status>`, socket errors with
 * `network:<code>`. OTA: a listening device polls `GET /api/v1/ota/pending` every
 * `otaPollMs` (200 carries an assignment, 204 none) until its link closes, and POSTs its
 * reports to `/api/v1/ota/status` (202).
 */
export function createHttpTransport(opts: HttpTransportOptions): Transport {
  const url = new URL('/api/v1/telemetry', opts.baseUrl);
  const client = url.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256 });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const otaPollMs = opts.otaPollMs ?? 5_000;
  const pendingUrl = new URL(OTA_PENDING_PATH, opts.baseUrl);
  const statusUrl = new URL(OTA_STATUS_PATH, opts.baseUrl);

  /** One request; resolves with the status and, when `collect`, the body (otherwise it is drained). */
  const exchange = (method: 'GET' | 'POST', target: URL, token: string, body: string | undefined, collect = false) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
      if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      const req = client.request(target, { method, agent, headers });
      req.setTimeout(timeoutMs, () => req.destroy(new SendError('timeout')));
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(error instanceof SendError ? error : new SendError(`network:${error.code ?? 'error'}`, error.message)),
      );
      req.on('response', (res) => {
        // Read or drain the body either way, so the socket goes back to the pool.
        let text = '';
        if (collect) res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        else res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', (error) => reject(new SendError('network:response', error.message)));
      });
      req.end(body);
    });

  const accepted = async (pending: Promise<{ status: number }>) => {
    const { status } = await pending;
    if (status !== 202) throw new SendError(`http-${status}`);
  };

  const otaLink = (token: string) => {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const link: OtaLink & { stop(): void } = {
      async listen(onMessage, onError) {
        const poll = async () => {
          try {
            const res = await exchange('GET', pendingUrl, token, undefined, true);
            if (res.status === 200) onMessage(res.body);
            else if (res.status !== 204) throw new SendError(`http-${res.status}`);
          } catch (error) {
            onError?.(error);
          } finally {
            if (!stopped) timer = setTimeout(() => void poll(), otaPollMs);
          }
        };
        // The first poll of each device falls somewhere in the first interval, so a fleet polls evenly, not in bursts.
        if (!stopped) timer = setTimeout(() => void poll(), Math.random() * otaPollMs);
      },
      report: (report) => accepted(exchange('POST', statusUrl, token, JSON.stringify(report))),
      stop() {
        stopped = true;
        clearTimeout(timer);
      },
    };
    return link;
  };

  return {
    async connect(device): Promise<DeviceLink> {
      const ota = otaLink(device.token);
      return {
        send: (message) => accepted(exchange('POST', url, device.token, JSON.stringify(message.payload))),
        isConnected: () => true,
        close: async () => ota.stop(),
        ota,
      };
    },
    async close() {
      agent.destroy();
    },
  };
}
