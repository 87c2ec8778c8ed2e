import { decodeCursor, notFound, pageSize, requireTenant, toConnection, validate, validId } from '@ump/core';
import type { OtaContext } from '../context';
import { firmwareStore } from '../data/firmware';
import { rolloutStore } from '../data/rollouts';
import { firmwareFilter, rolloutFilter } from './inputs';

type PageArgs = { first?: number | null; after?: string | null; filter?: unknown };

export const Query = {
  async firmware(_: unknown, args: { id: string }, ctx: OtaContext) {
    requireTenant(ctx.identity);
    const firmware = await ctx.loaders.firmware.load(validId(args.id));
    if (!firmware) throw notFound('Firmware', 'id');
    return firmware;
  },

  async firmwares(_: unknown, args: PageArgs, ctx: OtaContext) {
    requireTenant(ctx.identity);
    const size = pageSize(args.first);
    const filter = validate(firmwareFilter, args.filter ?? {}, 'filter');
    const { rows, total } = await firmwareStore.page(ctx.db, filter, size, decodeCursor('Firmware', args.after));
    for (const row of rows) ctx.loaders.firmware.prime(row.id, row);
    return toConnection('Firmware', rows, size, total);
  },

  /** Also the gateway's entity query for rolloutEvents. */
  async rollout(_: unknown, args: { id: string }, ctx: OtaContext) {
    requireTenant(ctx.identity);
    const rollout = await ctx.loaders.rollout.load(validId(args.id));
    if (!rollout) throw notFound('Rollout', 'id');
    return rollout;
  },

  async rollouts(_: unknown, args: PageArgs, ctx: OtaContext) {
    requireTenant(ctx.identity);
    const size = pageSize(args.first);
    const filter = validate(rolloutFilter, args.filter ?? {}, 'filter');
    const { rows, total } = await rolloutStore.page(ctx.db, filter, size, decodeCursor('Rollout', args.after));
    for (const row of rows) ctx.loaders.rollout.prime(row.id, row);
    return toConnection('Rollout', rows, size, total);
  },
};
