// Public API of the ports. Contract suites (*.contract.ts) and adapter helpers
// (*-support.ts) are deliberately not re-exported: tests and adapters import them directly.
export type {
  Cache,
  CacheErrorContext,
  CacheErrorReporter,
  CacheSetOptions,
  MessageHandler,
  Unsubscribe,
} from './cache';
export { createCache, type CreateCacheOptions } from './create-cache';
export {
  createMemoryCache,
  createMemoryCacheHub,
  type MemoryCacheHub,
  type MemoryCacheHubOptions,
  type MemoryCacheOptions,
} from './memory-cache';
export { createRedisCache, type RedisCacheOptions } from './redis-cache';

export type {
  Batch,
  BusErrorContext,
  BusErrorReporter,
  BusSubscription,
  EventBus,
  IncomingMessage,
  OutgoingMessage,
  SubscribeOptions,
} from './event-bus';
export { createMemoryBus, type MemoryBusOptions } from './memory-bus';
export { deadLetterName, defineTopic, type TopicContract, type TopicDefinition, type TopicParseResult } from './topic';
export { createEventBus, type CreateEventBusOptions } from './create-event-bus';
export { createKafkaBus, type KafkaBus, type KafkaBusOptions } from './kafka-bus';
export type { KafkaBusLogger } from './kafka-support';
