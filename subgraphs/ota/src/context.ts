import type { ArtifactStore, Cache, EventBus, Logger, SubgraphContext } from '@ump/core';
import type { PrismaClient, TenantDb } from '@ump/db';
import type { RolloutActions } from './engine/types';
import type { Loaders } from './loaders';

/** What the OTA subgraph needs from its process. */
export interface OtaDeps {
  prisma: PrismaClient;
  cache: Cache;
  bus: EventBus;
  logger: Logger;
  /** Firmware bytes, keyed `<tenantId>/<firmwareId>`; the intake serves them to devices. */
  artifacts: ArtifactStore;
  /** Operator actions on rollouts; the rollout engine in production, a recorder in tests. */
  engine: RolloutActions;
  /** Largest firmware accepted, uploaded or fetched; default 64 MiB. */
  maxUploadBytes?: number;
  /** Time allowed for createFirmwareFromUrl's whole download; default 60,000 ms. */
  fetchTimeoutMs?: number;
  /**
   * Lets createFirmwareFromUrl reach loopback, private (RFC 1918, unique-local), CGNAT and
   * other non-public addresses, redirects included; link-local ones (cloud metadata) stay
   * refused. Default false: only public addresses.
   */
  allowPrivateNetworks?: boolean;
}

export interface OtaContext extends SubgraphContext {
  /** Scoped to what the caller may see (see dbFor). */
  db: TenantDb;
  loaders: Loaders;
  deps: OtaDeps;
}
