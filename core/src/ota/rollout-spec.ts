import { z } from 'zod';

const uuid = z.string().uuid();

/**
 * Which devices a rollout updates: a profile, devices carrying every one of some labels, or
 * a list. Profile and label targets are re-read at every engine pass, so devices that join
 * the target later are included.
 */
export const rolloutTargetSchema = z
  .object({
    profileId: uuid.optional(),
    labels: z.array(z.string().min(1).max(100)).min(1).max(20).optional(),
    deviceIds: z.array(uuid).min(1).max(10_000).optional(),
  })
  .strict()
  .refine((t) => [t.profileId, t.labels, t.deviceIds].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of profileId, labels or deviceIds',
  });
export type RolloutTarget = z.infer<typeof rolloutTargetSchema>;

/**
 * One stage: how far the rollout goes (cumulative: 10% then 50% means 40% more devices),
 * how long its devices get, and whether promotion past it waits for a person.
 */
export const rolloutStageSchema = z
  .object({
    percent: z.number().gt(0).max(100).optional(),
    count: z.number().int().min(1).max(1_000_000).optional(),
    /** Devices not final after this long count as failed (reason "timed out"). */
    timeoutSeconds: z.number().int().min(1).max(30 * 24 * 3600).default(3600),
    /** Once the gates pass, wait for approvePromotion before the next stage. */
    requireApproval: z.boolean().default(false),
  })
  .strict()
  .refine((s) => (s.percent === undefined) !== (s.count === undefined), { message: 'give exactly one of percent or count' });
export type RolloutStage = z.infer<typeof rolloutStageSchema>;

/**
 * Gates checked when a stage's devices are done (install gates also while it runs: a
 * failure ratio past the limit aborts at once). KPI gates look at updated devices from
 * their update on, over at least `observeSeconds`.
 */
export const rolloutGatesSchema = z
  .object({
    /** Share of a stage's devices that must report UPDATED for it to pass. */
    minSuccessRatio: z.number().min(0).max(1).default(0.9),
    /** Devices that must be final before the install ratios are judged. */
    minSample: z.number().int().min(1).default(1),
    /** A failure ratio at or above this aborts the rollout. */
    maxFailureRatio: z.number().gt(0).max(1).default(0.2),
    /** How long updated devices are watched before the KPI gates are judged. */
    observeSeconds: z.number().int().min(0).max(7 * 24 * 3600).default(0),
    /** Alert rate (raises per device-hour) of updated devices vs those not yet updated. */
    alertRate: z
      .object({
        maxIncreasePercent: z.number().min(0).default(20),
        /** Fewer alerts than this on updated devices never fail the gate (noise). */
        minAlerts: z.number().int().min(1).default(1),
      })
      .strict()
      .optional(),
    /** A telemetry key of updated devices stays within bounds. */
    metric: z
      .object({
        key: z.string().min(1).max(256),
        minMean: z.number().optional(),
        maxMean: z.number().optional(),
        maxP95: z.number().optional(),
      })
      .strict()
      .refine((m) => m.minMean !== undefined || m.maxMean !== undefined || m.maxP95 !== undefined, { message: 'give a bound: minMean, maxMean or maxP95' })
      .optional(),
    /** Share of updated devices that must be online. */
    online: z.object({ minRatio: z.number().min(0).max(1) }).strict().optional(),
    /** What a failed KPI gate does: roll back (default), abort, or pause for a person. */
    onKpiFailure: z.enum(['ROLLBACK', 'ABORT', 'PAUSE']).default('ROLLBACK'),
  })
  .strict();
export type RolloutGates = z.infer<typeof rolloutGatesSchema>;

export const rolloutRetrySchema = z
  .object({
    /** Installs per device, the first included; a FAILED report below this is retried. */
    maxAttempts: z.number().int().min(1).max(10).default(1),
  })
  .strict();

/** Everything a rollout is told at creation, stored as one JSON column. */
export const rolloutSpecSchema = z
  .object({
    target: rolloutTargetSchema,
    stages: z.array(rolloutStageSchema).min(1).max(20),
    gates: rolloutGatesSchema.default(rolloutGatesSchema.parse({})),
    retry: rolloutRetrySchema.default({ maxAttempts: 1 }),
  })
  .strict()
  .superRefine((spec, ctx) => {
    // Stages are cumulative, so each must reach further than the one before.
    let last = 0;
    spec.stages.forEach((stage, i) => {
      const reach = stage.percent ?? 0;
      if (stage.percent !== undefined) {
        if (reach <= last) ctx.addIssue({ code: 'custom', path: ['stages', i, 'percent'], message: `must be greater than the previous stage's ${last}` });
        last = reach;
      }
    });
  });
export type RolloutSpec = z.infer<typeof rolloutSpecSchema>;

/**
 * Devices a stage should have reached in total, of `total` targeted: percentages round up
 * (1% of 10 devices is 1, never 0), counts are capped at the fleet, and the last stage
 * takes everyone.
 */
export function stageReach(stages: RolloutStage[], index: number, total: number): number {
  if (index >= stages.length - 1 && stages[stages.length - 1]?.percent === 100) return total;
  const stage = stages[Math.min(index, stages.length - 1)]!;
  const reach = stage.percent !== undefined ? Math.ceil((stage.percent / 100) * total) : stage.count!;
  return Math.min(total, Math.max(reach, 0));
}
