import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { FetchError, guardedGet, RefusedDestinationError, type Resolve } from './net-fetch';

// A local server stands for the internet: names under .test resolve (through the stub
// resolver) to its loopback address, so these tests allow private networks unless they
// are about refusing them.
let server: Server;
let port: number;
const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url!, headers: req.headers });
    const hop = /^\/hop\/(\d+)$/.exec(req.url!);
    if (req.url === '/fw.bin') {
      res.end('firmware');
    } else if (hop) {
      const left = Number(hop[1]);
      res.writeHead(left === 0 ? 200 : 302, left === 0 ? {} : { location: `/hop/${left - 1}` });
      res.end(left === 0 ? 'arrived' : undefined);
    } else if (req.url?.startsWith('/to?')) {
      res.writeHead(307, { location: decodeURIComponent(req.url.slice('/to?'.length)) });
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
});

/** Resolves the given names, counting calls; ENOTFOUND for any other. */
function stubResolver(names: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve: Resolve = async (hostname) => {
    calls.push(hostname);
    const addresses = names[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, calls };
}

const opts = (resolve: Resolve, allowPrivateNetworks = true) => ({ resolve, allowPrivateNetworks, signal: AbortSignal.timeout(5_000) });
const to = (location: string) => `http://127.0.0.1:${port}/to?${encodeURIComponent(location)}`;

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RefusedDestinationError);
  return (error as RefusedDestinationError).reason;
}

it('connects to the address it checked, resolving the name once', async () => {
  // firmware.test exists only in the stub: a second resolution (by the socket) would fail.
  const { resolve, calls } = stubResolver({ 'firmware.test': ['127.0.0.1'] });
  const response = await guardedGet(new URL(`http://firmware.test:${port}/fw.bin`), opts(resolve));
  expect(response.statusCode).toBe(200);
  expect(await text(response)).toBe('firmware');
  expect(calls).toEqual(['firmware.test']);
  expect(seen).toEqual([{ url: '/fw.bin', headers: expect.objectContaining({ host: `firmware.test:${port}`, 'accept-encoding': 'identity' }) }]);
});

it('refuses a name with a private address among public ones, by default', async () => {
  const { resolve } = stubResolver({ 'mixed.test': ['93.184.216.34', '127.0.0.1'] });
  expect(await refusal(guardedGet(new URL(`http://mixed.test:${port}/fw.bin`), opts(resolve, false)))).toMatch(/^resolves to a private address; set OTA_FETCH_ALLOW_PRIVATE_NETWORKS=true/);
  expect(seen).toEqual([]);
});

it('follows up to 5 redirects, relative ones included, and no more', async () => {
  const { resolve } = stubResolver({});
  const arrived = await guardedGet(new URL(`http://127.0.0.1:${port}/hop/5`), opts(resolve));
  expect(await text(arrived)).toBe('arrived');
  expect(seen).toHaveLength(6);

  seen.length = 0;
  const error = await guardedGet(new URL(`http://127.0.0.1:${port}/hop/6`), opts(resolve)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FetchError);
  expect((error as FetchError).reason).toBe('redirects more than 5 times');
  expect(seen.map((s) => s.url)).toEqual(['/hop/6', '/hop/5', '/hop/4', '/hop/3', '/hop/2', '/hop/1']);
});

it('checks every redirect target: scheme, credentials and address, before contacting it', async () => {
  const { resolve, calls } = stubResolver({ 'metadata.test': ['169.254.169.254'], 'internal.test': ['10.0.0.7'] });
  expect(await refusal(guardedGet(new URL(to('file:///etc/passwd')), opts(resolve)))).toBe('redirects to a URL that is not an http:// or https:// URL');
  expect(await refusal(guardedGet(new URL(to(`http://u:p@127.0.0.1:${port}/fw.bin`)), opts(resolve)))).toMatch(/^redirects to a URL that contains credentials/);
  // Link-local stays refused even where private networks are allowed.
  expect(await refusal(guardedGet(new URL(to('http://metadata.test/latest/meta-data/')), opts(resolve)))).toMatch(/^redirects to a URL that resolves to a link-local address/);
  expect(await refusal(guardedGet(new URL(to('http://[::ffff:169.254.169.254]/')), opts(resolve)))).toMatch(/link-local/);
  expect(calls).toEqual(['metadata.test']);
  expect(seen.map((s) => s.url).every((url) => url.startsWith('/to?'))).toBe(true);
});

it('reports a name that does not resolve, and gives up on a resolver that hangs when the signal aborts', async () => {
  const { resolve } = stubResolver({});
  const error = await guardedGet(new URL('http://nowhere.test/fw.bin'), opts(resolve)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FetchError);
  expect((error as FetchError).reason).toBe('could not be resolved: ENOTFOUND');

  const hanging: Resolve = () => new Promise(() => undefined);
  const controller = new AbortController();
  const pending = guardedGet(new URL('http://slow.test/fw.bin'), { resolve: hanging, allowPrivateNetworks: false, signal: controller.signal });
  controller.abort(new Error('gave up'));
  await expect(pending).rejects.toThrow('gave up');
});
