import { z } from 'zod';
import type { Tx } from './context';

const lockRow = z.array(z.object({ locked: z.boolean() }));

// Advisory lock keys: every decision about a rollout is made holding its lock, and a device's
// reports are applied one at a time holding the device's. Evaluations also take the rollout's
// evaluation turn first (see tryLockEvaluation).
const rolloutKey = (rolloutId: string) => `ota:rollout:${rolloutId}`;
const evaluationKey = (rolloutId: string) => `ota:evaluation:${rolloutId}`;
const deviceKey = (deviceId: string) => `ota:device:${deviceId}`;

/**
 * Takes the rollout's evaluation turn unless another evaluation has it (false then, holding
 * nothing), then waits for the rollout's lock; both are held for the rest of the transaction.
 *
 * Why two locks: the rollout's lock is also held by report applications and operator actions,
 * which decide nothing about stages. When an evaluation simply tried the rollout's lock, one
 * of those holding it made the evaluation skip, and nothing re-evaluated until the next tick:
 * e.g. the evaluation asked for by the last report of a stage, while a redelivered duplicate
 * of that report held the lock only to find itself stale (shown on PostgreSQL by
 * concurrency.int.test.ts). Now only another evaluation can make one skip, and that one sees
 * everything committed before: it takes the rollout's lock after those writes (they need the
 * lock too), or held it already, in which case none of them can have committed since.
 */
export async function tryLockEvaluation(tx: Tx, rolloutId: string): Promise<boolean> {
  // Raw SQL carries no tenant data here: it only takes the lock, which the scope does not cover.
  const rows = await tx.$queryRaw`SELECT pg_try_advisory_xact_lock(hashtext(${evaluationKey(rolloutId)})) AS locked`;
  if (lockRow.parse(rows)[0]?.locked !== true) return false;
  await lockRollout(tx, rolloutId);
  return true;
}

/** Waits for the rollout's lock and holds it for the rest of the transaction. */
export async function lockRollout(tx: Tx, rolloutId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${rolloutKey(rolloutId)}))`;
}

/** Waits for the device's lock and holds it for the rest of the transaction. */
export async function lockDevice(tx: Tx, deviceId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${deviceKey(deviceId)}))`;
}
