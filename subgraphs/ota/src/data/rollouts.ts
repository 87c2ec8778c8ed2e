import { conflict, rolloutSpecSchema, uuidv7, type RolloutSpec, type RolloutState } from '@ump/core';
import { isUniqueViolation, type Prisma, type TenantDb } from '@ump/db';

export interface RolloutFilter {
  state?: RolloutState | null;
  firmwareId?: string | null;
}

export interface RolloutData {
  name: string;
  firmwareId: string;
  spec: RolloutSpec;
}

const nameTaken = (name: string) => conflict(`A rollout named "${name}" already exists`, 'input.name');

function whereOf(filter: RolloutFilter): Prisma.RolloutWhereInput {
  return {
    ...(filter.state ? { state: filter.state } : {}),
    ...(filter.firmwareId ? { firmwareId: filter.firmwareId } : {}),
  };
}

/** Rollouts of the scoped tenant and what hangs off them (devices, transitions, gate results). */
export const rolloutStore = {
  /**
   * A DRAFT rollout and its first transition (→ DRAFT, by the creator), in one transaction.
   * CONFLICT on `input.name` when the tenant has a rollout of that name.
   */
  async create(db: TenantDb, tenantId: string, data: RolloutData, actorId: string | null) {
    const id = uuidv7();
    try {
      // The interactive client is the scoped client minus the connection methods: the scope holds.
      return await db.$transaction(async (raw) => {
        const tx = raw as unknown as TenantDb;
        const rollout = await tx.rollout.create({
          data: { id, tenantId, name: data.name, firmwareId: data.firmwareId, spec: data.spec as Prisma.InputJsonObject, state: 'DRAFT', createdById: actorId },
        });
        await tx.rolloutTransition.create({ data: { id: uuidv7(), rolloutId: id, tenantId, fromState: null, toState: 'DRAFT', stageIndex: 0, actorId } });
        return rollout;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(data.name);
      throw error;
    }
  },

  byIds: (db: TenantDb, ids: readonly string[]) => db.rollout.findMany({ where: { id: { in: [...ids] } } }),

  /** Newest first. */
  async page(db: TenantDb, filter: RolloutFilter, size: number, afterId?: string) {
    const where = whereOf(filter);
    const [rows, total] = await Promise.all([
      db.rollout.findMany({ where: afterId ? { AND: [where, { id: { lt: afterId } }] } : where, orderBy: { id: 'desc' }, take: size + 1 }),
      db.rollout.count({ where }),
    ]);
    return { rows, total };
  },

  /** Device rows per rollout and status, for the progress counts of several rollouts at once. */
  async deviceCounts(db: TenantDb, rolloutIds: readonly string[]) {
    const groups = await db.rolloutDevice.groupBy({ by: ['rolloutId', 'status'], where: { rolloutId: { in: [...rolloutIds] } }, _count: { _all: true } });
    return groups.map((g) => ({ rolloutId: g.rolloutId, status: g.status, count: g._count._all }));
  },

  /** One rollout's devices in assignment order (ids are UUIDv7). */
  async devicePage(db: TenantDb, rolloutId: string, status: string | null | undefined, size: number, afterId?: string) {
    const where: Prisma.RolloutDeviceWhereInput = { rolloutId, ...(status ? { status } : {}) };
    const [rows, total] = await Promise.all([
      db.rolloutDevice.findMany({ where: afterId ? { AND: [where, { id: { gt: afterId } }] } : where, orderBy: { id: 'asc' }, take: size + 1 }),
      db.rolloutDevice.count({ where }),
    ]);
    return { rows, total };
  },

  transitionsOf: (db: TenantDb, rolloutIds: readonly string[]) =>
    db.rolloutTransition.findMany({ where: { rolloutId: { in: [...rolloutIds] } }, orderBy: [{ at: 'asc' }, { id: 'asc' }] }),

  gateResultsOf: (db: TenantDb, rolloutIds: readonly string[]) =>
    db.rolloutGateResult.findMany({ where: { rolloutId: { in: [...rolloutIds] } }, orderBy: [{ at: 'asc' }, { id: 'asc' }] }),
};

export type RolloutRow = Awaited<ReturnType<typeof rolloutStore.byIds>>[number];
export type RolloutDeviceRow = Awaited<ReturnType<typeof rolloutStore.devicePage>>['rows'][number];
export type RolloutTransitionRow = Awaited<ReturnType<typeof rolloutStore.transitionsOf>>[number];
export type GateResultRow = Awaited<ReturnType<typeof rolloutStore.gateResultsOf>>[number];

/**
 * The stored spec, validated on read too: a row written by an older deploy must not leak an
 * unexpected shape into the API.
 */
export const specOf = (row: { spec: unknown }): RolloutSpec => rolloutSpecSchema.parse(row.spec);
