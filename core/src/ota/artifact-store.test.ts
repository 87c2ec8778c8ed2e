import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { ArtifactTooLargeError, ChecksumMismatchError, createFileArtifactStore } from './artifact-store';

describe('file artifact store', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(tmpdir(), 'ump-artifacts-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const bytes = Buffer.from('firmware image 0123456789');
  const sha = createHash('sha256').update(bytes).digest('hex');
  async function* chunks(...parts: Buffer[]) {
    yield* parts;
  }

  it('stores the bytes with their size and sha256, and reads them whole or by range', async () => {
    const store = createFileArtifactStore(root);
    expect(await store.put('t1/fw.bin', chunks(bytes.subarray(0, 5), bytes.subarray(5)), { expectedSha256: sha.toUpperCase() })).toEqual({ size: bytes.length, sha256: sha });
    expect(await store.size('t1/fw.bin')).toBe(bytes.length);
    expect(await text(store.read('t1/fw.bin'))).toBe(bytes.toString());
    expect(await text(store.read('t1/fw.bin', { start: 9, end: 13 }))).toBe('image');
  });

  it('keeps nothing when the checksum does not match or the size is over the limit', async () => {
    const store = createFileArtifactStore(root);
    await expect(store.put('t1/bad.bin', chunks(bytes), { expectedSha256: '0'.repeat(64) })).rejects.toBeInstanceOf(ChecksumMismatchError);
    await expect(store.put('t1/big.bin', chunks(bytes), { maxBytes: 10 })).rejects.toBeInstanceOf(ArtifactTooLargeError);
    expect(await store.size('t1/bad.bin')).toBeNull();
    expect(readdirSync(path.join(root, 't1'))).toEqual([]);
  });

  it('refuses keys that would leave its folder', () => {
    const store = createFileArtifactStore(root);
    expect(() => store.read('../etc/passwd')).toThrow(TypeError);
    expect(() => store.read('/abs')).toThrow(TypeError);
  });
});
