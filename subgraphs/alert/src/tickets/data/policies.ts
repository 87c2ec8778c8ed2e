import { conflict, uuidv7 } from '@ump/core';
import { isUniqueViolation, type Prisma, type TenantDb } from '@ump/db';

const nameTaken = (name: unknown) => conflict(`A ticket policy named "${String(name)}" already exists`, 'input.name');

/** Ticket policies of the scoped tenant. */
export const policyStore = {
  list: (db: TenantDb) => db.ticketPolicy.findMany({ orderBy: { name: 'asc' } }),

  enabled: (db: TenantDb) => db.ticketPolicy.findMany({ where: { enabled: true } }),

  byIds: (db: TenantDb, ids: readonly string[]) => db.ticketPolicy.findMany({ where: { id: { in: [...ids] } } }),

  async create(db: TenantDb, tenantId: string, data: Omit<Prisma.TicketPolicyUncheckedCreateInput, 'id' | 'tenantId'>) {
    try {
      return await db.ticketPolicy.create({ data: { ...data, id: uuidv7(), tenantId } });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(data.name);
      throw error;
    }
  },

  /** Null when the policy is not in scope. */
  async update(db: TenantDb, id: string, data: Prisma.TicketPolicyUncheckedUpdateManyInput) {
    try {
      const { count } = await db.ticketPolicy.updateMany({ where: { id }, data });
      return count === 0 ? null : db.ticketPolicy.findUnique({ where: { id } });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(data.name);
      throw error;
    }
  },

  /** Whether a policy in scope was deleted; its tickets keep going without one. */
  async remove(db: TenantDb, id: string) {
    const { count } = await db.ticketPolicy.deleteMany({ where: { id } });
    return count > 0;
  },
};

export type PolicyRow = Awaited<ReturnType<typeof policyStore.list>>[number];
