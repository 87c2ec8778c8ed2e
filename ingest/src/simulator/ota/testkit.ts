// Test support: a stand-in for the intake's HTTP side (telemetry, OTA pending and status,
// firmware downloads with Range) on a free port, recording what devices send.
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { OTA_PENDING_PATH, OTA_STATUS_PATH, type FirmwareAssignment, type OtaAssignment, type OtaStatusReport } from './protocol';

/** A request for firmware bytes, as the stand-in saw it. */
export interface DownloadRequest {
  token: string | undefined;
  firmwareId: string;
  range?: string;
  ifRange?: string;
  status: number;
}

/** See `startFakeIntake`. */
export interface FakeIntake {
  url: string;
  /** Stores bytes as firmware; `sha256` overrides the advertised hash (to make a mismatch). */
  addFirmware(fw: { title: string; version: string; bytes: Buffer; sha256?: string }): FirmwareAssignment;
  /** What `GET /api/v1/ota/pending` answers the device with `token` (undefined: 204). */
  setPending(token: string, message: OtaAssignment | undefined): void;
  /** The next `times` full or partial responses for the firmware send `afterBytes` bytes, then the socket is destroyed. */
  cut(firmwareId: string, afterBytes: number, times?: number): void;
  /** Responses for the firmware send `afterBytes` bytes, then hang until the client goes away. */
  stall(firmwareId: string, afterBytes: number): void;
  /** Status reports in arrival order, per token. A final report (UPDATED, FAILED) of the pending command clears it, as the intake does. */
  reports(token: string): OtaStatusReport[];
  /** Pending polls answered so far, per token. */
  polls(token: string): number;
  readonly downloads: DownloadRequest[];
  /** Telemetry bodies in arrival order, per token. */
  telemetry(token: string): unknown[];
  /** Status posts refused with this HTTP status while set (e.g. 503). */
  refuseReports: number | undefined;
  close(): Promise<void>;
}

/** Resolves once `check` returns a truthy value (polled every 10 ms), or rejects after `timeoutMs` naming `what`. */
export async function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}

/** Starts the stand-in on 127.0.0.1 and a free port. */
export async function startFakeIntake(): Promise<FakeIntake> {
  const firmware = new Map<string, { bytes: Buffer; sha256: string; cuts: Array<number>; stallAt?: number }>();
  const pending = new Map<string, OtaAssignment>();
  const reports = new Map<string, OtaStatusReport[]>();
  const telemetry = new Map<string, unknown[]>();
  const downloads: DownloadRequest[] = [];
  const polls = new Map<string, number>();
  const sockets = new Set<net.Socket>();

  const server = http.createServer((req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const path = (req.url ?? '').split('?')[0]!;
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (!token) return res.writeHead(401).end();
      if (req.method === 'POST' && path === '/api/v1/telemetry') {
        telemetry.set(token, [...(telemetry.get(token) ?? []), JSON.parse(body)]);
        return res.writeHead(202).end('{"accepted":1}');
      }
      if (req.method === 'GET' && path === OTA_PENDING_PATH) {
        const message = pending.get(token);
        polls.set(token, (polls.get(token) ?? 0) + 1);
        return message ? res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(message)) : res.writeHead(204).end();
      }
      if (req.method === 'POST' && path === OTA_STATUS_PATH) {
        if (intake.refuseReports) return res.writeHead(intake.refuseReports).end();
        const report = JSON.parse(body) as OtaStatusReport;
        reports.set(token, [...(reports.get(token) ?? []), report]);
        const assigned = pending.get(token);
        if (assigned && assigned.commandId === report.commandId && (report.status === 'UPDATED' || report.status === 'FAILED')) pending.delete(token);
        return res.writeHead(202).end('{"accepted":1}');
      }
      const id = /^\/api\/v1\/ota\/firmware\/([^/]+)$/.exec(path)?.[1];
      const fw = id ? firmware.get(id) : undefined;
      if (!id || !fw) return res.writeHead(404).end();
      serveFirmware(req, res, token, id, fw);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const serveFirmware = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    token: string,
    id: string,
    fw: { bytes: Buffer; sha256: string; cuts: number[]; stallAt?: number },
  ) => {
    const size = fw.bytes.length;
    const etag = `"${fw.sha256}"`;
    const rangeHeader = req.headers.range;
    const ifRange = req.headers['if-range'] as string | undefined;
    const match = /^bytes=(\d+)-$/.exec(rangeHeader ?? '');
    const start = match && (ifRange === undefined || ifRange === etag) ? Number(match[1]) : 0;
    const partial = start > 0;
    const status = start >= size && partial ? 416 : partial ? 206 : 200;
    downloads.push({ token, firmwareId: id, range: rangeHeader, ifRange, status });
    if (status === 416) return res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
    const slice = fw.bytes.subarray(start);
    res.writeHead(status, {
      'content-type': 'application/octet-stream',
      'content-length': slice.length,
      'accept-ranges': 'bytes',
      etag,
      'x-checksum-sha256': fw.sha256,
      ...(partial ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
    });
    const cut = fw.cuts.shift();
    if (cut !== undefined) return res.write(slice.subarray(0, Math.max(0, cut - start)), () => res.destroy());
    if (fw.stallAt !== undefined) return res.write(slice.subarray(0, Math.max(0, fw.stallAt - start)));
    res.end(slice);
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

  const intake: FakeIntake = {
    url,
    addFirmware({ title, version, bytes, sha256 }) {
      const id = randomUUID();
      const actual = createHash('sha256').update(bytes).digest('hex');
      firmware.set(id, { bytes, sha256: actual, cuts: [] });
      return { id, title, version, size: bytes.length, sha256: sha256 ?? actual, url: `/api/v1/ota/firmware/${id}` };
    },
    setPending: (token, message) => (message ? pending.set(token, message) : pending.delete(token)),
    cut(id, afterBytes, times = 1) {
      firmware.get(id)!.cuts.push(...Array.from({ length: times }, () => afterBytes));
    },
    stall(id, afterBytes) {
      firmware.get(id)!.stallAt = afterBytes;
    },
    reports: (token) => reports.get(token) ?? [],
    polls: (token) => polls.get(token) ?? 0,
    downloads,
    telemetry: (token) => telemetry.get(token) ?? [],
    refuseReports: undefined,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return intake;
}
