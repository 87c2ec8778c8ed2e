import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHttpServer, sendJson, type Logger } from '@ump/core';
import type { Registry } from 'prom-client';
import type { DeviceCredential } from './credentials';
import type { OtaServices } from './ota';
import { createOtaHttpRoutes } from './ota/routes';
import type { OverloadGate } from './overload';
import type { Pipeline } from './pipeline';

/** The canonical route; ThingsBoard's `/api/v1/{accessToken}/telemetry` is served by it too. */
export const TELEMETRY_PATH = '/api/v1/telemetry';
const TOKEN_IN_PATH = /^\/api\/v1\/([^/?]+)\/telemetry(\?.*)?$/;

/** Options of {@link createIntakeHttp}. */
export interface IntakeHttpOptions {
  pipeline: Pipeline;
  registry: Registry;
  logger: Logger;
  maxBodyBytes: number;
  ota: OtaServices;
  /** Admission control: telemetry is refused with 503 while it is closed. */
  overload: Pick<OverloadGate, 'overloaded'>;
}

/**
 * The HTTP side of the intake on core's createHttpServer (so /healthz and /metrics come
 * along). `POST /api/v1/telemetry` with `Authorization: Bearer <token>`, or the token in the
 * path, answers:
 * - 202 `{"accepted": n}` once the event bus accepted all n points;
 * - 400 `{"error": reason}` for a malformed payload, 413 for more than maxBatch points (both
 *   dead-lettered with the reason), 413 for a body over maxBodyBytes (not read, so not
 *   dead-lettered);
 * - 401 for a missing or unknown token, 405 for another method, 429 with `Retry-After`
 *   when the device or its tenant is over its rate, 503 with `Retry-After` when the
 *   database (credential lookup) or the event bus is unavailable, or the intake is
 *   overloaded (see overload.ts; checked first, before the token).
 * Authentication and rate limits are checked before the body is read. The device's OTA
 * routes (`/api/v1/ota/...`, see ota/routes.ts) authenticate and count the same way.
 */
export function createIntakeHttp({ pipeline, registry, logger, maxBodyBytes, ota, overload }: IntakeHttpOptions) {
  /** The request's authenticated, admitted device; null once it answered 401, 429 or 503. */
  const admitDevice = async (req: IncomingMessage, res: ServerResponse): Promise<DeviceCredential | null> => {
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      sendJson(res, 401, { error: 'Send the device access token as "Authorization: Bearer <token>"' }, { 'www-authenticate': 'Bearer' });
      return null;
    }
    const device = await pipeline.authenticate('http', token).catch((error: unknown) => {
      logger.error({ err: error }, 'device authentication failed');
      return 'unavailable' as const;
    });
    if (device === 'unavailable') {
      sendJson(res, 503, { error: 'Device authentication is unavailable; retry later' }, { 'retry-after': '5' });
      return null;
    }
    if (!device) {
      sendJson(res, 401, { error: 'Unknown or revoked device access token' }, { 'www-authenticate': 'Bearer' });
      return null;
    }
    const admission = await pipeline.admit('http', device);
    if (!admission.ok) {
      const error = `Rate limit of the ${admission.scope} exceeded; retry in ${admission.retryAfterSeconds} s`;
      sendJson(res, 429, { error }, { 'retry-after': String(admission.retryAfterSeconds) });
      return null;
    }
    return device;
  };

  const telemetry = async (req: IncomingMessage, res: ServerResponse) => {
    const startedAt = performance.now();
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'Use POST' }, { allow: 'POST' });
    // Shed load before any work: no credential lookup, no rate-limit charge, no body to parse.
    if (overload.overloaded) {
      pipeline.count('http', 'overloaded');
      return sendJson(res, 503, { error: 'The intake is overloaded: telemetry is being written more slowly than it arrives; retry later' }, { 'retry-after': '1' });
    }
    const device = await admitDevice(req, res);
    if (!device) return;
    const body = await readBody(req, maxBodyBytes);
    if (!body) {
      pipeline.count('http', 'too_large');
      // The rest of the body stays unread, so the connection cannot be reused.
      return sendJson(res, 413, { error: `Body larger than ${maxBodyBytes} bytes` }, { connection: 'close' });
    }
    const outcome = await pipeline.accept('http', device, body, startedAt);
    if (outcome.kind === 'accepted') return sendJson(res, 202, { accepted: outcome.points });
    if (outcome.kind === 'invalid') return sendJson(res, outcome.status, { error: outcome.reason });
    return sendJson(res, 503, { error: 'Telemetry could not be stored right now; retry later' }, { 'retry-after': '1' });
  };

  const otaRoutes = createOtaHttpRoutes(ota, { admitDevice, readBody: (req) => readBody(req, maxBodyBytes), maxBodyBytes });
  const http = createHttpServer({ routes: { [TELEMETRY_PATH]: telemetry, ...otaRoutes.routes }, registry, logger });
  // createHttpServer routes on the exact path, so ThingsBoard's token-in-path form is
  // rewritten to the canonical route with the token moved into the Authorization header,
  // ahead of the server's own request listener; so is the firmware id of a download.
  const [route] = http.server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  http.server.removeAllListeners('request');
  http.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const match = TOKEN_IN_PATH.exec(req.url ?? '');
    if (match) {
      req.url = TELEMETRY_PATH + (match[2] ?? '');
      req.headers.authorization = `Bearer ${safeDecode(match[1]!)}`;
    }
    otaRoutes.route(req);
    route!.call(http.server, req, res);
  });
  return http;
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Reads the raw body (the parser needs the bytes, and dead letters keep them); null once it
 * is over `limit`, at once when Content-Length announces that.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}
