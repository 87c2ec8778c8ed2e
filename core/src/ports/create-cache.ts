import type { Cache, CacheErrorReporter } from './cache';
import { createMemoryCache, type MemoryCacheHub } from './memory-cache';
import { createRedisCache } from './redis-cache';

/** Options of {@link createCache}. */
export interface CreateCacheOptions {
  /** Redis URL; when absent the cache is in-process (single instance, lost on restart). */
  redisUrl?: string;
  /** Namespace for keys and channels; default 'ump:'. */
  keyPrefix?: string;
  /** Receives handler errors, bad cached JSON and connection loss; default logs to stderr. */
  onError?: CacheErrorReporter;
  /** Hub to share between in-process caches; ignored when `redisUrl` is set. */
  memoryHub?: MemoryCacheHub;
}

/**
 * Chooses the cache adapter from configuration: Redis when `redisUrl` is given, otherwise
 * the in-process one. The caller reads its own configuration (nothing here touches
 * process.env). An empty `redisUrl` counts as absent, since unset env vars often arrive as ''.
 */
export function createCache({ redisUrl, keyPrefix, onError, memoryHub }: CreateCacheOptions = {}): Cache {
  if (redisUrl) return createRedisCache({ url: redisUrl, keyPrefix, onError });
  return createMemoryCache({ hub: memoryHub, keyPrefix, onError });
}
