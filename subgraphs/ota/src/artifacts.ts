// Where firmware bytes come from before they reach the artifact store: an inline base64
// upload or a download. Transport only: the resolvers turn these failures into field errors.
import { ArtifactTooLargeError } from '@ump/core';

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

function describe(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `the download did not finish within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : (error as Error)?.message;
  return `could not be downloaded: ${detail ?? 'unknown error'}`;
}

/**
 * Starts downloading `url` and returns its body as a stream. The whole download, body
 * included, must finish within `timeoutMs`. Refuses at once (DownloadError) a status other
 * than 2xx and a network failure, and (ArtifactTooLargeError) a declared length over
 * `maxBytes`; errors while the body streams surface from the stream as DownloadError.
 */
export async function download(url: URL, opts: { timeoutMs: number; maxBytes: number }): Promise<AsyncIterable<Uint8Array>> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs), redirect: 'follow' });
  } catch (error) {
    throw new DownloadError(describe(error, opts.timeoutMs));
  }
  const close = () => response.body?.cancel().catch(() => undefined);
  if (!response.ok || !response.body) {
    await close();
    throw new DownloadError(`the server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await close();
    throw new ArtifactTooLargeError(opts.maxBytes);
  }
  const body = response.body as unknown as AsyncIterable<Uint8Array>;
  return (async function* () {
    try {
      yield* body;
    } catch (error) {
      throw new DownloadError(describe(error, opts.timeoutMs));
    }
  })();
}
