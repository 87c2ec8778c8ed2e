// The downloader against a local stand-in for the intake's firmware route (node:http, free port).
import { createHash, randomBytes } from 'node:crypto';
import { SendError } from '../transports/transport';
import { createDownloader, type Downloader } from './download';
import { startFakeIntake, type FakeIntake } from './testkit';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('createDownloader', () => {
  let intake: FakeIntake;
  let downloader: Downloader;
  const bytes = randomBytes(300_000);

  beforeAll(async () => {
    intake = await startFakeIntake();
  });
  beforeEach(() => {
    intake.downloads.length = 0;
    downloader = createDownloader({ baseUrl: intake.url, retryBaseMs: 5 });
  });
  afterEach(() => downloader.close());
  afterAll(() => intake.close());

  it('downloads with the bearer token and hashes every byte, reporting progress up to the total', async () => {
    const fw = intake.addFirmware({ title: 'fw', version: '1', bytes });
    const progress: number[] = [];
    const result = await downloader.download(fw, 'tok-a', { onProgress: (received, total) => progress.push(received / total) });
    expect(result).toEqual({ sha256: sha(bytes), bytes: bytes.length, requests: 1 });
    expect(intake.downloads).toEqual([{ token: 'tok-a', firmwareId: fw.id, range: undefined, ifRange: undefined, status: 200 }]);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('resumes a cut download from the bytes already received, with Range and If-Range', async () => {
    const fw = intake.addFirmware({ title: 'fw', version: '1', bytes });
    intake.cut(fw.id, 100_000);
    const result = await downloader.download(fw, 'tok-a');

    expect(intake.downloads).toHaveLength(2);
    expect(intake.downloads[0]).toMatchObject({ range: undefined, status: 200 });
    // Exactly where the first response stopped: nothing fetched twice, nothing skipped.
    expect(intake.downloads[1]).toMatchObject({ range: 'bytes=100000-', ifRange: `"${sha(bytes)}"`, status: 206 });
    expect(result).toEqual({ sha256: sha(bytes), bytes: bytes.length, requests: 2 });
  });

  it('resumes again and again while the connection keeps dropping', async () => {
    const fw = intake.addFirmware({ title: 'fw', version: '1', bytes });
    intake.cut(fw.id, 50_000);
    intake.cut(fw.id, 120_000);
    intake.cut(fw.id, 250_000);
    const result = await downloader.download(fw, 'tok-a');
    expect(intake.downloads.map((d) => d.range)).toEqual([undefined, 'bytes=50000-', 'bytes=120000-', 'bytes=250000-']);
    expect(result.sha256).toBe(sha(bytes));
  });

  it('gives up after its attempts with download:cut', async () => {
    const fw = intake.addFirmware({ title: 'fw', version: '1', bytes });
    intake.cut(fw.id, 10_000, 3);
    const limited = createDownloader({ baseUrl: intake.url, attempts: 3, retryBaseMs: 5 });
    await expect(limited.download(fw, 'tok-a')).rejects.toMatchObject({ reason: 'download:cut' });
    expect(intake.downloads).toHaveLength(3);
    limited.close();
  });

  it('does not retry a 404', async () => {
    const fw = { ...intake.addFirmware({ title: 'fw', version: '1', bytes }), url: '/api/v1/ota/firmware/unknown' };
    const failure = downloader.download(fw, 'tok-a');
    await expect(failure).rejects.toBeInstanceOf(SendError);
    await expect(failure).rejects.toMatchObject({ reason: 'http-404' });
  });

  it('stops at once when aborted mid-download', async () => {
    const fw = intake.addFirmware({ title: 'fw', version: '1', bytes });
    intake.stall(fw.id, 20_000);
    const abort = new AbortController();
    const failure = downloader.download(fw, 'tok-a', {
      signal: abort.signal,
      onProgress: (received) => received >= 20_000 && abort.abort(new Error('cancelled')),
    });
    await expect(failure).rejects.toThrow('cancelled');
    expect(intake.downloads).toHaveLength(1);
  });

  it('sends the token to the intake only, not to an artifact elsewhere', async () => {
    const elsewhere = await startFakeIntake();
    try {
      const fw = elsewhere.addFirmware({ title: 'fw', version: '1', bytes: Buffer.from('x') });
      // The stand-in answers 401 without a token: the downloader did not leak it.
      await expect(downloader.download({ ...fw, url: `${elsewhere.url}${fw.url}` }, 'tok-a')).rejects.toMatchObject({ reason: 'http-401' });
    } finally {
      await elsewhere.close();
    }
  });
});
