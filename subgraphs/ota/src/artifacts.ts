// Where firmware bytes come from before they reach the artifact store: an inline base64
// upload or a download. Transport only: the resolvers turn these failures into field errors.
import type { IncomingMessage } from 'node:http';
import { ArtifactTooLargeError } from '@ump/core';
import { FetchError, guardedGet, RefusedDestinationError } from './net-fetch';
import type { DestinationPolicy } from './net-guard';

/** The download did not deliver the artifact; `reason` is fit to show the caller. */
export class DownloadError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

// RFC 4648 section 4 with padding: Buffer.from(..., 'base64') would skip any stray character
// and return whatever it could decode, so a corrupted upload has to be refused up front.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decoded size of well-formed base64 text, without decoding it. */
export function base64Size(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

/** The bytes of strict base64 text; null when it is not (wrong characters, length or padding). */
export function decodeBase64(text: string): Buffer | null {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

const CHUNK = 64 * 1024;

/** A buffer as the chunked stream the artifact store reads. */
export async function* chunksOf(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += CHUNK) yield bytes.subarray(offset, offset + CHUNK);
}

function describe(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `the download did not finish within ${timeoutMs} ms`;
  if (error instanceof RefusedDestinationError || error instanceof FetchError) return error.reason;
  const code = (error as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? code : (error as Error | null)?.message;
  return `could not be downloaded: ${detail ?? 'unknown error'}`;
}

/**
 * Starts downloading `url` and returns its body as a stream. The whole download, redirects
 * and body included, must finish within `timeoutMs`. Only public addresses are contacted
 * (and private ones with `allowPrivateNetworks`), redirects included: see guardedGet. A
 * refused destination is a DownloadError before anything is sent to it. Refuses at once (DownloadError) a status other than 2xx and a
 * network failure, and (ArtifactTooLargeError) a declared length over `maxBytes`; errors
 * while the body streams surface from the stream as DownloadError.
 */
export async function download(
  url: URL,
  opts: DestinationPolicy & { timeoutMs: number; maxBytes: number },
): Promise<AsyncIterable<Uint8Array>> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let response: IncomingMessage;
  try {
    response = await guardedGet(url, { signal, allowPrivateNetworks: opts.allowPrivateNetworks });
  } catch (error) {
    throw new DownloadError(describe(error, signal, opts.timeoutMs));
  }
  const status = response.statusCode ?? 0;
  if (status < 200 || status > 299) {
    response.destroy();
    throw new DownloadError(`the server answered HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`);
  }
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    response.destroy();
    throw new ArtifactTooLargeError(opts.maxBytes);
  }
  return (async function* () {
    try {
      // Returning early (the store stopped reading) destroys the response, and its socket.
      yield* response;
    } catch (error) {
      throw new DownloadError(describe(error, signal, opts.timeoutMs));
    }
  })();
}
