import type { Cache, EventBus, Identity, Logger, OtaKpiSource } from '@ump/core';
import type { PrismaClient } from '@ump/db';
import type { Registry } from 'prom-client';

/** What the rollout engine needs from its process. */
export interface RolloutEngineDeps {
  prisma: PrismaClient;
  /** ota.status.v1 is consumed from it; ota.commands.v1 and rollout.events.v1 published to it. */
  bus: EventBus;
  /** Connectivity (last seen) is read from it; update windows are written to it. */
  cache: Cache;
  /** Telemetry and alert history, for the KPI gates (the telemetry store's `otaKpi`). */
  kpi: OtaKpiSource;
  logger: Logger;
  metrics?: Registry;
  /** How often running rollouts are re-evaluated without a device report; default 5,000 ms. */
  tickMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Who asked for an action, and why: recorded with the rollout's transition. */
export interface ActionInput {
  identity: Identity;
  rolloutId: string;
  reason?: string;
}

/**
 * Operator actions. Each runs under the rollout's lock, checks that the rollout belongs to
 * the caller's tenant (NOT_FOUND otherwise) and that the action is allowed in its state
 * (BAD_USER_INPUT naming the state otherwise), records the transition with actor and
 * reason, and resolves once it is committed (its commands and events published).
 */
export interface RolloutActions {
  /** DRAFT → RUNNING: assigns the first stage's devices. */
  start(input: ActionInput): Promise<void>;
  /** RUNNING → PAUSED: no new assignments; devices already told carry on. */
  pause(input: ActionInput): Promise<void>;
  /** PAUSED (not awaiting approval) → RUNNING. */
  resume(input: ActionInput): Promise<void>;
  /** A stage awaiting approval: promote to the next stage (RUNNING). */
  approve(input: ActionInput): Promise<void>;
  /** A stage awaiting approval: stop here (ABORTED). */
  reject(input: ActionInput): Promise<void>;
  /** RUNNING or PAUSED → ABORTED: unfinished assignments are cancelled. */
  abort(input: ActionInput): Promise<void>;
  /** Any started rollout → ROLLED_BACK: updated and failed devices re-targeted to their previous firmware. */
  rollback(input: ActionInput): Promise<void>;
  /** DRAFT → CANCELLED. */
  cancel(input: ActionInput): Promise<void>;
}

export interface RolloutEngine {
  /** Subscribes to ota.status.v1, re-publishes waiting commands and starts the tick loop. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One evaluation of a running rollout now (tests; the tick and device reports call it too). */
  evaluate(rolloutId: string): Promise<void>;
  /** The operator actions, for the subgraph's mutations. */
  actions: RolloutActions;
}
