import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { sendJson, type ArtifactStore, type Logger } from '@ump/core';
import type { PrismaClient } from '@ump/db';
import type { DeviceCredential } from '../credentials';
import type { IntakeMetrics } from '../metrics';

/** An inclusive byte range of a resource of known size. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Reads a `Range` header against a resource of `size` bytes (RFC 9110 §14): `bytes=a-b`
 * (b clamped to the last byte), `bytes=a-` and `bytes=-n` (the last n bytes).
 * - `null`: serve the whole resource (no header, another unit, a syntactically invalid or
 *   multi-range header: the RFC lets a server ignore those);
 * - `'unsatisfiable'`: 416 (a start at or past the end, `bytes=-0`, any range of an empty resource).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header ?? '');
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Downloadable =
  | { kind: 'ok'; firmware: { id: string; version: string; sha256: string; storageKey: string; size: number } }
  | { kind: 'not_found' }
  | { kind: 'not_assigned' };

/**
 * Whether `device` may download `firmwareId`: it must exist in the device's tenant
 * (else not_found, which is also the answer for another tenant's firmware, so ids of other
 * tenants cannot be probed) and be the device's target or current firmware (else
 * not_assigned). Two primary-key reads, read-only; rejects on a database error.
 */
export async function findDownloadableFirmware(
  prisma: PrismaClient,
  { tenantId, deviceId }: Pick<DeviceCredential, 'tenantId' | 'deviceId'>,
  firmwareId: string,
): Promise<Downloadable> {
  if (!UUID.test(firmwareId)) return { kind: 'not_found' };
  const [firmware, assignment] = await Promise.all([
    prisma.firmware.findFirst({
      where: { id: firmwareId, tenantId },
      select: { id: true, version: true, sha256: true, storageKey: true, size: true },
    }),
    prisma.deviceFirmware.findUnique({ where: { deviceId }, select: { tenantId: true, targetFirmwareId: true, currentFirmwareId: true } }),
  ]);
  if (!firmware) return { kind: 'not_found' };
  const assigned =
    assignment?.tenantId === tenantId && (assignment.targetFirmwareId === firmware.id || assignment.currentFirmwareId === firmware.id);
  return assigned ? { kind: 'ok', firmware } : { kind: 'not_assigned' };
}

/**
 * Answers `GET`/`HEAD /api/v1/ota/firmware/<id>` for an authenticated device: 404 for an
 * unknown (or another tenant's) firmware or a missing artifact, 403 for one not assigned to
 * the device, 503 without an artifact store; else the bytes, streamed from the store, with
 * Content-Length, Accept-Ranges, ETag `"<sha256>"`, X-Checksum-SHA256, X-Firmware-Version.
 * A single Range gives 206 with Content-Range (If-Range with another ETag gives the whole
 * file), an unsatisfiable one 416 with `Content-Range: bytes *\/<size>`; a matching
 * If-None-Match gives 304. Rejects on a database or store error before the headers (the
 * server answers 500); an error while streaming destroys the response.
 */
export async function serveFirmware(
  req: IncomingMessage,
  res: ServerResponse,
  deps: {
    device: DeviceCredential;
    firmwareId: string;
    prisma: PrismaClient;
    artifacts: ArtifactStore | undefined;
    logger: Logger;
    metrics: IntakeMetrics;
  },
): Promise<void> {
  const { device, firmwareId, prisma, artifacts, logger, metrics } = deps;
  const answer = (status: number, error: string, headers?: Record<string, string>) => {
    metrics.otaDownloads.inc({ status: String(status) });
    sendJson(res, status, { error }, headers);
  };
  if (!artifacts) return answer(503, 'firmware downloads are not configured');
  const found = await findDownloadableFirmware(prisma, device, firmwareId);
  if (found.kind === 'not_found') return answer(404, 'firmware not found');
  if (found.kind === 'not_assigned') return answer(403, 'firmware not assigned to this device');
  const { firmware } = found;
  const size = await artifacts.size(firmware.storageKey);
  if (size === null) {
    logger.warn({ firmwareId, storageKey: firmware.storageKey }, 'firmware artifact missing from the store');
    return answer(404, 'firmware artifact not found');
  }
  if (size !== firmware.size) logger.warn({ firmwareId, stored: size, declared: firmware.size }, 'firmware artifact size differs from its record');

  const etag = `"${firmware.sha256}"`;
  const headers: Record<string, string> = {
    'accept-ranges': 'bytes',
    etag,
    'x-checksum-sha256': firmware.sha256,
    'x-firmware-version': firmware.version,
  };
  if (etagMatches(req.headers['if-none-match'], etag)) {
    metrics.otaDownloads.inc({ status: '304' });
    res.writeHead(304, headers).end();
    return;
  }
  const ifRange = req.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, size) : null;
  if (range === 'unsatisfiable') return answer(416, `range not satisfiable; the firmware has ${size} bytes`, { 'content-range': `bytes */${size}` });

  const length = range ? range.end - range.start + 1 : size;
  res.writeHead(range ? 206 : 200, {
    ...headers,
    'content-type': 'application/octet-stream',
    'content-length': String(length),
    ...(range ? { 'content-range': `bytes ${range.start}-${range.end}/${size}` } : {}),
  });
  metrics.otaDownloads.inc({ status: range ? '206' : '200' });
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const body = artifacts.read(firmware.storageKey, range ?? undefined);
  let sent = 0;
  body.on('data', (chunk: Buffer) => (sent += chunk.length));
  try {
    await pipeline(body, res);
  } catch (error) {
    // Mostly a device that went away mid-download (it resumes with a Range); the response
    // is already destroyed by the pipeline either way.
    logger.debug({ err: error, firmwareId, deviceId: device.deviceId }, 'firmware download interrupted');
  } finally {
    metrics.otaDownloadBytes.inc(sent);
  }
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
