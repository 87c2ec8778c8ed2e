import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The stored bytes did not hash to what the caller declared: nothing was kept. */
export class ChecksumMismatchError extends Error {
  constructor(readonly expected: string, readonly actual: string) {
    super(`checksum mismatch: expected sha256 ${expected}, the bytes hash to ${actual}`);
  }
}

/** The bytes went past the allowed size: nothing was kept. */
export class ArtifactTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`artifact is larger than the limit of ${maxBytes} bytes`);
  }
}

export interface StoredArtifact {
  size: number;
  /** Lower-case hex. */
  sha256: string;
}

/**
 * Where firmware bytes live. The OTA subgraph writes them, the intake serves them to
 * devices (in several processes: a shared volume, or another adapter behind this port).
 */
export interface ArtifactStore {
  /**
   * Streams `body` in, hashing as it goes; the artifact appears under `key` only complete
   * and, when `expectedSha256` is given, only if it matches (else ChecksumMismatchError).
   */
  put(key: string, body: AsyncIterable<Uint8Array>, options?: { expectedSha256?: string; maxBytes?: number }): Promise<StoredArtifact>;
  /** Size of a stored artifact, or null when there is none. */
  size(key: string): Promise<number | null>;
  /** The bytes, or the inclusive byte range `start..end` of them. */
  read(key: string, range?: { start: number; end: number }): Readable;
  remove(key: string): Promise<void>;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** The filesystem adapter: one file per key under `root` (UMP_DATA_DIR/artifacts by default). */
export function createFileArtifactStore(root: string): ArtifactStore {
  const fileOf = (key: string) => {
    if (!KEY.test(key) || key.includes('..')) throw new TypeError(`invalid artifact key: ${key}`);
    return path.join(root, key);
  };
  return {
    async put(key, body, options = {}) {
      const file = fileOf(key);
      await mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.${randomUUID()}.partial`;
      const hash = createHash('sha256');
      let size = 0;
      const { maxBytes } = options;
      async function* hashed() {
        for await (const chunk of body) {
          size += chunk.length;
          if (maxBytes !== undefined && size > maxBytes) throw new ArtifactTooLargeError(maxBytes);
          hash.update(chunk);
          yield chunk;
        }
      }
      try {
        await pipeline(hashed, createWriteStream(partial));
        const sha256 = hash.digest('hex');
        const expected = options.expectedSha256?.toLowerCase();
        if (expected !== undefined && expected !== sha256) throw new ChecksumMismatchError(expected, sha256);
        await rename(partial, file);
        return { size, sha256 };
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
    },
    async size(key) {
      try {
        return (await stat(fileOf(key))).size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    read(key, range) {
      return createReadStream(fileOf(key), range);
    },
    async remove(key) {
      await rm(fileOf(key), { force: true });
    },
  };
}
