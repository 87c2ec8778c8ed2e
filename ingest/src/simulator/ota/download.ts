import { createHash, type Hash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { withRetry } from '../concurrency';
import { SendError } from '../transports/transport';
import type { FirmwareAssignment } from './protocol';

/** Options of `createDownloader`. */
export interface DownloaderOptions {
  /** The intake's HTTP base URL; an assignment's `url` path is resolved against it. */
  baseUrl: string;
  /** Requests per download, the first included, before it fails (default 5). */
  attempts?: number;
  /** Wait before the second request, doubling after each (default 200 ms). */
  retryBaseMs?: number;
  /** A response that sends nothing for this long is cut and resumed (default 30,000 ms). */
  idleTimeoutMs?: number;
  /** Downloads in flight at once over the shared keep-alive pool (default 64). */
  maxSockets?: number;
}

/** What `download` calls with each chunk. */
export type DownloadProgress = (received: number, total: number) => void;

/** A finished download: the SHA-256 of every byte, in order, and how many there were. */
export interface DownloadResult {
  sha256: string;
  bytes: number;
  /** HTTP requests it took; more than one means it resumed. */
  requests: number;
}

/** Downloads firmware artifacts for every device of a run over one keep-alive pool. */
export interface Downloader {
  /**
   * Downloads `firmware.url` with `Authorization: Bearer <token>` (sent only to the intake's
   * own origin), hashing as the bytes arrive; nothing is kept in memory. A response cut short
   * (reset, idle timeout) is resumed with `Range: bytes=<received>-` and `If-Range: <ETag>`;
   * a 200 answer to a resume, a Content-Range that does not start where the bytes stopped, or
   * an ETag that changed starts over from byte 0. Retries with back-off up to `attempts`
   * requests; a 4xx other than 408 and 429 is not retried. Rejects with a SendError
   * (`http-404`, `network:ECONNREFUSED`, `download:cut`, `timeout`, …), or with the
   * signal's reason once aborted.
   */
  download(firmware: FirmwareAssignment, token: string, opts?: { signal?: AbortSignal; onProgress?: DownloadProgress }): Promise<DownloadResult>;
  /** Closes the pooled sockets. */
  close(): void;
}

const retryable = (error: unknown) => !(error instanceof SendError && /^http-4\d\d$/.test(error.reason) && !['http-408', 'http-429'].includes(error.reason));

/** See `Downloader`. */
export function createDownloader(opts: DownloaderOptions): Downloader {
  const base = new URL(opts.baseUrl);
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 }),
    https: new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 }),
  };
  const idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;

  return {
    async download(firmware, token, { signal, onProgress } = {}) {
      const url = new URL(firmware.url, base);
      const client = url.protocol === 'https:' ? https : http;
      const agent = url.protocol === 'https:' ? agents.https : agents.http;
      // A device token is a credential for the intake only, never for an artifact elsewhere.
      const sameOrigin = url.origin === base.origin;
      const state: { hash: Hash; received: number; etag?: string; requests: number } = { hash: createHash('sha256'), received: 0, requests: 0 };
      const restart = () => {
        state.hash = createHash('sha256');
        state.received = 0;
        state.etag = undefined;
      };

      const once = () =>
        new Promise<void>((resolve, reject) => {
          signal?.throwIfAborted();
          const headers: Record<string, string> = {};
          if (sameOrigin) headers.authorization = `Bearer ${token}`;
          const from = state.received;
          if (from > 0) {
            headers.range = `bytes=${from}-`;
            // If-Range takes a strong ETag only; a weak one is checked by hand below.
            if (state.etag && !state.etag.startsWith('W/')) headers['if-range'] = state.etag;
          }
          state.requests += 1;
          const req = client.request(url, { method: 'GET', agent, headers, signal });
          req.setTimeout(idleTimeoutMs, () => req.destroy(new SendError('timeout')));
          req.on('error', (error: NodeJS.ErrnoException) =>
            reject(error instanceof SendError || signal?.aborted ? (signal?.reason ?? error) : new SendError(`network:${error.code ?? 'error'}`, error.message)),
          );
          req.on('response', (res) => {
            const status = res.statusCode ?? 0;
            const etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
            let total: number;
            if (status === 200) {
              if (from > 0) restart();
              state.etag = etag;
              total = Number(res.headers['content-length'] ?? firmware.size);
            } else if (status === 206) {
              const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
              const changed = state.etag !== undefined && etag !== undefined && etag !== state.etag;
              if (!range || Number(range[1]) !== from || changed) {
                res.resume();
                restart();
                return reject(new SendError(changed ? 'download:changed' : 'download:bad-range'));
              }
              total = range[3] === '*' ? firmware.size : Number(range[3]);
            } else if (status === 416 && from >= firmware.size) {
              // The cut came after the last byte: everything is here.
              res.resume();
              return resolve();
            } else {
              res.resume();
              if (status === 416) restart();
              return reject(new SendError(`http-${status}`));
            }
            if (!Number.isFinite(total)) total = firmware.size;
            let ended = false;
            res.on('data', (chunk: Buffer) => {
              state.hash.update(chunk);
              state.received += chunk.length;
              onProgress?.(state.received, total);
            });
            res.on('end', () => {
              ended = true;
              if (res.complete) resolve();
              else reject(new SendError('download:cut'));
            });
            res.on('error', () => reject(new SendError('download:cut')));
            // A socket torn down mid-body closes the response without 'end' (and, on some Node versions, without 'error').
            res.on('close', () => {
              if (!ended) reject(signal?.aborted ? signal.reason : new SendError('download:cut'));
            });
          });
          req.end();
        });

      await withRetry(once, { attempts: opts.attempts ?? 5, baseMs: opts.retryBaseMs ?? 200, retryable, signal });
      return { sha256: state.hash.digest('hex'), bytes: state.received, requests: state.requests };
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
