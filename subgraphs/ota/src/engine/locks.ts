import { z } from 'zod';
import type { Tx } from './context';

const lockRow = z.array(z.object({ locked: z.boolean() }));

// Advisory lock keys: every decision about a rollout is made holding its lock, and a device's
// reports are applied one at a time holding the device's.
const rolloutKey = (rolloutId: string) => `ota:rollout:${rolloutId}`;
const deviceKey = (deviceId: string) => `ota:device:${deviceId}`;

/** Takes the rollout's lock for the rest of the transaction unless someone holds it: false then. */
export async function tryLockRollout(tx: Tx, rolloutId: string): Promise<boolean> {
  // Raw SQL carries no tenant data here: it only takes the lock, which the scope does not cover.
  const rows = await tx.$queryRaw`SELECT pg_try_advisory_xact_lock(hashtext(${rolloutKey(rolloutId)})) AS locked`;
  return lockRow.parse(rows)[0]?.locked === true;
}

/** Waits for the rollout's lock and holds it for the rest of the transaction. */
export async function lockRollout(tx: Tx, rolloutId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${rolloutKey(rolloutId)}))`;
}

/** Waits for the device's lock and holds it for the rest of the transaction. */
export async function lockDevice(tx: Tx, deviceId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${deviceKey(deviceId)}))`;
}
