import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, type RouteHandler } from '@ump/core';
import type { DeviceCredential } from '../credentials';
import type { OtaServices } from './index';
import { serveFirmware } from './download';
import { readPendingAssignment } from './pending';
import { OTA_FIRMWARE_PATH, OTA_PENDING_PATH, OTA_STATUS_PATH } from './protocol';

/** What the HTTP transport lends the OTA routes: its authentication and body reading. */
export interface OtaHttpTransport {
  /**
   * The request's device once authenticated and admitted by the rate limits; null when it
   * already answered (401, 429, 503).
   */
  admitDevice(req: IncomingMessage, res: ServerResponse): Promise<DeviceCredential | null>;
  /** The body, or null once it is over maxBodyBytes. */
  readBody(req: IncomingMessage): Promise<Buffer | null>;
  maxBodyBytes: number;
}

const FIRMWARE_ID_IN_PATH = new RegExp(`^${OTA_FIRMWARE_PATH}/([^/?]+)/?(\\?.*)?$`);

/**
 * The device's OTA routes; every one authenticates with `Authorization: Bearer <token>` and
 * counts against the device's and tenant's rate limits, like telemetry:
 * - `GET /api/v1/ota/pending`: 200 with the UPDATE message, 204 when none;
 * - `POST /api/v1/ota/status`: 202 `{"accepted":1,"messageId"}` once the bus accepted the
 *   report, 400 `{"error"}` naming the bad field (dead-lettered), 413 over maxBodyBytes,
 *   503 when the bus is unavailable;
 * - `GET`/`HEAD /api/v1/ota/firmware/<id>`: the bytes (see serveFirmware).
 * A database error answers 503 with Retry-After. createHttpServer routes on exact paths,
 * so `route` must see each request first: it moves the firmware id out of the path.
 */
export function createOtaHttpRoutes(ota: OtaServices, transport: OtaHttpTransport) {
  const { prisma, artifacts, status, connectivity, logger, metrics } = ota;
  const { admitDevice, readBody, maxBodyBytes } = transport;
  const firmwareIds = new WeakMap<IncomingMessage, string>();
  const unavailable = (res: ServerResponse, error: unknown, what: string) => {
    logger.error({ err: error }, `${what} failed`);
    sendJson(res, 503, { error: `${what} is unavailable; retry later` }, { 'retry-after': '5' });
  };

  const pending: RouteHandler = async (req, res) => {
    if (req.method !== 'GET') return sendJson(res, 405, { error: 'Use GET' }, { allow: 'GET' });
    const device = await admitDevice(req, res);
    if (!device) return;
    connectivity.seen(device, Date.now());
    const message = await readPendingAssignment(prisma, device).catch((error: unknown) => {
      unavailable(res, error, 'Reading the pending update');
      return 'failed' as const;
    });
    if (message === 'failed') return;
    if (!message) {
      res.writeHead(204).end();
      return;
    }
    sendJson(res, 200, message);
  };

  const report: RouteHandler = async (req, res) => {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'Use POST' }, { allow: 'POST' });
    const device = await admitDevice(req, res);
    if (!device) return;
    const body = await readBody(req);
    if (!body) return sendJson(res, 413, { error: `Body larger than ${maxBodyBytes} bytes` }, { connection: 'close' });
    const outcome = await status.accept('http', device, body);
    if (outcome.kind === 'accepted') return sendJson(res, 202, { accepted: 1, messageId: outcome.messageId });
    if (outcome.kind === 'invalid') return sendJson(res, outcome.status, { error: outcome.reason });
    sendJson(res, 503, { error: 'The status report could not be stored right now; retry later' }, { 'retry-after': '1' });
  };

  const firmware: RouteHandler = async (req, res) => {
    const firmwareId = firmwareIds.get(req);
    if (firmwareId === undefined) return sendJson(res, 404, { error: `Use ${OTA_FIRMWARE_PATH}/<firmwareId>` });
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'Use GET or HEAD' }, { allow: 'GET, HEAD' });
    const device = await admitDevice(req, res);
    if (!device) return;
    await serveFirmware(req, res, { device, firmwareId, prisma, artifacts, logger, metrics }).catch((error: unknown) => {
      if (!res.headersSent) return unavailable(res, error, 'Firmware download');
      logger.error({ err: error }, 'firmware download failed');
      res.destroy();
    });
  };

  return {
    routes: { [OTA_PENDING_PATH]: pending, [OTA_STATUS_PATH]: report, [OTA_FIRMWARE_PATH]: firmware } satisfies Record<string, RouteHandler>,
    /** Rewrites `/api/v1/ota/firmware/<id>` to the firmware route, remembering the id. */
    route(req: IncomingMessage) {
      const match = FIRMWARE_ID_IN_PATH.exec(req.url ?? '');
      if (!match) return;
      firmwareIds.set(req, safeDecode(match[1]!));
      req.url = OTA_FIRMWARE_PATH + (match[2] ?? '');
    },
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
