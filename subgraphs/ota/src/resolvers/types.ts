import { decodeCursor, otaStatuses, pageSize, requireCaller, requireTenant, stageReach, toConnection, validate, type Caller } from '@ump/core';
import { z } from 'zod';
import type { OtaContext } from '../context';
import type { DeviceFirmwareRow } from '../data/device-firmware';
import type { FirmwareRow } from '../data/firmware';
import { rolloutStore, specOf, type GateResultRow, type RolloutRow } from '../data/rollouts';
import { inProgressStatuses, rolloutDeviceStatuses } from './inputs';

type Ref = { id: string };

/** Who acted, for transitions and createdById: the user, or the API key. */
export const actorOf = (caller: Caller) => (caller.kind === 'user' ? caller.userId : caller.apiKeyId);

const stageIndexArg = z.number().int().min(0).max(100).nullish();
const deviceStatusArg = z.enum(rolloutDeviceStatuses).nullish();
const started = new Set(['RUNNING', 'PAUSED']);

// `load()` is called without awaiting anything first, so that every reference of one
// `_entities` request lands in the same DataLoader batch.
export const Firmware = {
  __resolveReference: (ref: Ref, ctx: OtaContext) => (requireCaller(ctx.identity), ctx.loaders.firmware.load(ref.id)),
  rolloutCount: (firmware: FirmwareRow, _: unknown, ctx: OtaContext) => ctx.loaders.rolloutCount.load(firmware.id),
};

// The tenant comes from the verified identity through the scoped loaders: a reference to
// another tenant's device finds no row, so its firmware is null.
export const Device = {
  __resolveReference: (ref: Ref) => ({ id: ref.id }),
  firmware: (device: Ref, _: unknown, ctx: OtaContext) => (requireTenant(ctx.identity), ctx.loaders.deviceFirmware.load(device.id)),
};

const firmwareOf = (id: string | null, ctx: OtaContext) => (id ? ctx.loaders.firmware.load(id) : null);

export const DeviceFirmware = {
  current: (row: DeviceFirmwareRow, _: unknown, ctx: OtaContext) => firmwareOf(row.currentFirmwareId, ctx),
  previous: (row: DeviceFirmwareRow, _: unknown, ctx: OtaContext) => firmwareOf(row.previousFirmwareId, ctx),
  target: (row: DeviceFirmwareRow, _: unknown, ctx: OtaContext) => firmwareOf(row.targetFirmwareId, ctx),
  // A status the enum does not know (a newer device build) reads as unknown rather than failing the query.
  status: (row: DeviceFirmwareRow) => ((otaStatuses as readonly string[]).includes(row.status ?? '') ? row.status : null),
  rollout: (row: DeviceFirmwareRow, _: unknown, ctx: OtaContext) => (row.rolloutId ? ctx.loaders.rollout.load(row.rolloutId) : null),
};

function stageStatus(rollout: RolloutRow, index: number) {
  if (index < rollout.stageIndex) return 'PASSED';
  if (index === rollout.stageIndex && started.has(rollout.state)) return 'ACTIVE';
  return 'PENDING';
}

export const Rollout = {
  __resolveReference: (ref: Ref, ctx: OtaContext) => (requireCaller(ctx.identity), ctx.loaders.rollout.load(ref.id)),
  firmware: (rollout: RolloutRow, _: unknown, ctx: OtaContext) => ctx.loaders.firmware.load(rollout.firmwareId),
  async stages(rollout: RolloutRow, _: unknown, ctx: OtaContext) {
    const { stages } = specOf(rollout);
    const targeted = await ctx.loaders.targeted.load(rollout);
    return stages.map((stage, index) => ({
      index,
      percent: stage.percent ?? null,
      count: stage.count ?? null,
      timeoutSeconds: stage.timeoutSeconds,
      requireApproval: stage.requireApproval,
      reach: stageReach(stages, index, targeted),
      status: stageStatus(rollout, index),
    }));
  },
  target(rollout: RolloutRow) {
    const { target } = specOf(rollout);
    return { profileId: target.profileId ?? null, labels: target.labels ?? null, deviceIds: target.deviceIds ?? null };
  },
  gates: (rollout: RolloutRow) => specOf(rollout).gates,
  retry: (rollout: RolloutRow) => specOf(rollout).retry,
  async progress(rollout: RolloutRow, _: unknown, ctx: OtaContext) {
    const [targeted, counts] = await Promise.all([ctx.loaders.targeted.load(rollout), ctx.loaders.deviceCounts.load(rollout.id)]);
    const of = (status: string) => counts.get(status) ?? 0;
    let assigned = 0;
    let inProgress = 0;
    for (const [status, count] of counts) {
      assigned += count;
      if (inProgressStatuses.has(status)) inProgress += count;
    }
    return {
      targeted,
      assigned,
      inProgress,
      updated: of('UPDATED'),
      failed: of('FAILED'),
      cancelled: of('CANCELLED'),
      rollingBack: of('ROLLING_BACK'),
      rolledBack: of('ROLLED_BACK'),
    };
  },
  // One page per rollout: selecting devices under a list of rollouts costs a query each.
  async devices(rollout: RolloutRow, args: { first?: number | null; after?: string | null; status?: string | null }, ctx: OtaContext) {
    const size = pageSize(args.first);
    const status = validate(deviceStatusArg, args.status, 'status');
    const { rows, total } = await rolloutStore.devicePage(ctx.db, rollout.id, status, size, decodeCursor('RolloutDevice', args.after));
    return toConnection('RolloutDevice', rows, size, total);
  },
  transitions: (rollout: RolloutRow, _: unknown, ctx: OtaContext) => ctx.loaders.transitions.load(rollout.id),
  async gateResults(rollout: RolloutRow, args: { stageIndex?: number | null }, ctx: OtaContext) {
    const stageIndex = validate(stageIndexArg, args.stageIndex, 'stageIndex');
    const rows = await ctx.loaders.gateResults.load(rollout.id);
    return stageIndex == null ? rows : rows.filter((row) => row.stageIndex === stageIndex);
  },
};

export const RolloutDevice = {
  device: (row: { deviceId: string }) => ({ id: row.deviceId }),
};

export const GateResult = {
  evidence: (row: GateResultRow) => row.evidence ?? {},
};
