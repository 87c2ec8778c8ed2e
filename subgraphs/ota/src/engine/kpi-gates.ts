import { DEFAULT_INACTIVITY_TIMEOUT_SECONDS, deviceLastSeenKey, isOnline, parseLastSeen, type KpiWindow, type RolloutGates } from '@ump/core';
import type { EngineContext, Tx } from './context';
import type { GateVerdict } from './state';

const HOUR = 3_600_000;

/** What the KPI gates look at. */
export interface KpiInput {
  tenantId: string;
  gates: RolloutGates;
  /** Devices of the rollout that reported UPDATED, each from its update. */
  updated: KpiWindow[];
  /** Targeted devices not updated (yet), watched from the stage start. */
  baseline: KpiWindow[];
  now: number;
}

const deviceHours = (windows: readonly KpiWindow[], now: number) => windows.reduce((sum, w) => sum + Math.max(0, now - w.from) / HOUR, 0);
const sum = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

/**
 * The configured KPI gates (ALERT_RATE, METRIC, ONLINE), each with its evidence. Gates not
 * configured are not judged. Rejects when the KPI source or the cache does.
 */
export async function kpiGates(tx: Tx, ctx: EngineContext, input: KpiInput): Promise<GateVerdict[]> {
  const verdicts: GateVerdict[] = [];
  const { gates, now, tenantId } = input;
  if (gates.alertRate) verdicts.push(await alertRateGate(ctx, input, gates.alertRate));
  if (gates.metric) {
    const m = gates.metric;
    const summary = await ctx.kpi.metric({ tenantId, windows: input.updated, key: m.key, to: now });
    const problems: string[] = [];
    if (summary.count > 0) {
      if (m.minMean !== undefined && summary.mean !== null && summary.mean < m.minMean) problems.push('mean below minMean');
      if (m.maxMean !== undefined && summary.mean !== null && summary.mean > m.maxMean) problems.push('mean above maxMean');
      if (m.maxP95 !== undefined && summary.p95 !== null && summary.p95 > m.maxP95) problems.push('p95 above maxP95');
    }
    // No points is no evidence against the firmware: the gate passes and says so.
    verdicts.push({ gate: 'METRIC', passed: problems.length === 0, evidence: { key: m.key, ...summary, bounds: { minMean: m.minMean ?? null, maxMean: m.maxMean ?? null, maxP95: m.maxP95 ?? null }, problems } });
  }
  if (gates.online) verdicts.push(await onlineGate(tx, ctx, input, gates.online.minRatio));
  return verdicts;
}

/**
 * Raises per device-hour of updated devices (from each one's update) against not-yet-updated
 * targeted devices (from the stage start). Fails when the updated devices raised at least
 * `minAlerts` and their rate exceeds the baseline by more than `maxIncreasePercent`. Without
 * a baseline (every targeted device updated) there is nothing to compare with: it passes and
 * the evidence says so.
 */
async function alertRateGate(ctx: EngineContext, input: KpiInput, policy: NonNullable<RolloutGates['alertRate']>): Promise<GateVerdict> {
  const { tenantId, now } = input;
  const [updatedRaises, baselineRaises] = await Promise.all([
    ctx.kpi.alertRaises({ tenantId, windows: input.updated, to: now }),
    input.baseline.length > 0 ? ctx.kpi.alertRaises({ tenantId, windows: input.baseline, to: now }) : Promise.resolve(new Map<string, number>()),
  ]);
  const updated = { devices: input.updated.length, raises: sum(updatedRaises), deviceHours: deviceHours(input.updated, now) };
  const baseline = { devices: input.baseline.length, raises: sum(baselineRaises), deviceHours: deviceHours(input.baseline, now) };
  const updatedRate = updated.deviceHours > 0 ? updated.raises / updated.deviceHours : 0;
  const baselineRate = baseline.deviceHours > 0 ? baseline.raises / baseline.deviceHours : null;
  const limit = baselineRate === null ? null : baselineRate * (1 + policy.maxIncreasePercent / 100);
  const failed = limit !== null && updated.raises >= policy.minAlerts && updatedRate > limit;
  return {
    gate: 'ALERT_RATE',
    passed: !failed,
    evidence: { updated: { ...updated, rate: updatedRate }, baseline: { ...baseline, rate: baselineRate }, limit, maxIncreasePercent: policy.maxIncreasePercent, minAlerts: policy.minAlerts },
  };
}

/** Share of updated devices online now (cache last-seen within the profile's inactivity timeout). */
async function onlineGate(tx: Tx, ctx: EngineContext, input: KpiInput, minRatio: number): Promise<GateVerdict> {
  const ids = input.updated.map((w) => w.deviceId);
  const devices = await tx.device.findMany({ where: { id: { in: ids } }, select: { id: true, profile: { select: { inactivityTimeoutSeconds: true } } } });
  let online = 0;
  for (const device of devices) {
    const lastSeen = parseLastSeen(await ctx.cache.get(deviceLastSeenKey(device.id)));
    if (isOnline(lastSeen, device.profile?.inactivityTimeoutSeconds ?? DEFAULT_INACTIVITY_TIMEOUT_SECONDS, input.now)) online += 1;
  }
  const total = ids.length;
  const ratio = total === 0 ? 1 : online / total;
  return { gate: 'ONLINE', passed: ratio >= minRatio, evidence: { online, updated: total, ratio, limit: minRatio } };
}
