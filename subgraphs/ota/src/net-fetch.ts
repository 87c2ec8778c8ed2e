// An HTTP GET that only reaches destinations the policy allows (net-guard.ts). Every hop's
// host is resolved once, each of its addresses checked, and the connection made to exactly
// those addresses: the name is never resolved again between the check and the connect, so
// a DNS answer that changes (rebinding) cannot slip an internal address in. Redirects are
// followed here, each target checked like the first URL.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { promisify } from 'node:util';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { hostOf, refusalOf, urlRefusalOf, type DestinationPolicy } from './net-guard';

/** The destination is not allowed; `reason` is fit to show the caller. */
export class RefusedDestinationError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The request failed before a response; `reason` is fit to show the caller. */
export class FetchError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Every address of a host name, as node:dns `lookup` with `all` gives them. */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

const lookupAll = promisify(dnsLookup);
const systemResolve: Resolve = (hostname) => lookupAll(hostname, { all: true, verbatim: true });

/** Default of GuardedGetOptions.maxRedirects. */
export const MAX_REDIRECTS = 5;

export interface GuardedGetOptions extends DestinationPolicy {
  /** Aborts resolution, connection and body alike. */
  signal: AbortSignal;
  /** Redirects followed before giving up; default 5. */
  maxRedirects?: number;
  /** Name resolution; node:dns lookup (the system resolver, as any connection would use) by default. */
  resolve?: Resolve;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** `promise`, or the signal's reason as soon as it aborts (node:dns lookups cannot be cancelled). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** A `lookup` for the socket that answers with the vetted addresses only. */
function pinned(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) return callback(null, addresses);
    const match = addresses.find((a) => !options.family || a.family === options.family) ?? addresses[0]!;
    callback(null, match.address, match.family);
  };
}

/** The addresses of `url`'s host, each allowed by the policy; RefusedDestinationError otherwise. */
async function vetted(url: URL, opts: GuardedGetOptions, prefix: string): Promise<LookupAddress[]> {
  const shape = urlRefusalOf(url);
  if (shape) throw new RefusedDestinationError(`${prefix}${shape}`);
  const host = hostOf(url);
  const family = isIP(host);
  let addresses: LookupAddress[];
  if (family !== 0) {
    addresses = [{ address: host, family }];
  } else {
    try {
      addresses = await unlessAborted((opts.resolve ?? systemResolve)(host), opts.signal);
    } catch (error) {
      if (opts.signal.aborted) throw error;
      const code = (error as { code?: unknown }).code;
      throw new FetchError(`${prefix}could not be resolved: ${typeof code === 'string' ? code : 'unknown error'}`);
    }
    if (addresses.length === 0) throw new FetchError(`${prefix}could not be resolved: no address`);
  }
  // Every address, not just the first: the socket may fall back to any of them.
  for (const { address } of addresses) {
    const refusal = refusalOf(address, opts);
    if (refusal) throw new RefusedDestinationError(`${prefix}${refusal}`);
  }
  return addresses;
}

function get(url: URL, addresses: LookupAddress[], signal: AbortSignal): Promise<IncomingMessage> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: 'GET',
      // No pooled sockets: a kept-alive one would skip this hop's check.
      agent: false,
      lookup: pinned(addresses),
      signal,
      // Stored byte for byte and checked against the declared sha256: no transfer encoding.
      headers: { accept: '*/*', 'accept-encoding': 'identity', 'user-agent': 'ump-ota' },
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

/**
 * GETs `url`, following at most `maxRedirects` (5) redirects, and returns the final response
 * (any status but a followed redirect). Before each hop the URL must be http(s) without
 * credentials and every address of its host must be allowed by the policy: otherwise
 * RefusedDestinationError, and nothing is sent to it. More redirects, an unreadable
 * `Location` and a name that does not resolve are FetchError; network errors and the
 * signal's abort reject as node:http reports them.
 */
export async function guardedGet(url: URL, opts: GuardedGetOptions): Promise<IncomingMessage> {
  const maxRedirects = opts.maxRedirects ?? MAX_REDIRECTS;
  let current = url;
  for (let hop = 0; ; hop++) {
    const prefix = hop === 0 ? '' : 'redirects to a URL that ';
    const addresses = await vetted(current, opts, prefix);
    const response = await get(current, addresses, opts.signal);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode ?? 0) || !location) return response;
    response.destroy();
    if (hop >= maxRedirects) throw new FetchError(`redirects more than ${maxRedirects} times`);
    try {
      current = new URL(location, current);
    } catch {
      throw new FetchError('redirects to an invalid URL');
    }
  }
}
