import { z } from 'zod';
import { severities } from '../alerts/conditions';
import { defineTopic } from '../ports/topic';

/**
 * `alert.signals.v1`, keyed by device id: the rule worker's verdicts. `firing` when a rule's
 * condition starts to hold for a device (or escalates: same fingerprint, higher severity),
 * `resolved` when its clear condition holds. Delivery is at-least-once and a redelivered
 * signal keeps its `signalId`; the alert subgraph ignores a signal whose `at` is older than
 * the last one it applied for the fingerprint (tenant, rule, device).
 */
export const alertSignalsTopic = defineTopic({
  name: 'alert.signals',
  version: 1,
  schema: z.object({
    /** Deterministic: the same transition always has the same id. */
    signalId: z.string().min(1).max(128),
    type: z.enum(['firing', 'resolved']),
    tenantId: z.string().uuid(),
    ruleId: z.string().uuid(),
    deviceId: z.string().uuid(),
    severity: z.enum(severities),
    /** Epoch ms of the telemetry point (or the silence deadline) that caused the transition. */
    at: z.number().int(),
    /** Why: what was seen against what was expected. */
    evidence: z.object({
      key: z.string().optional(),
      value: z.union([z.number(), z.string(), z.boolean()]).optional(),
      /** The rule's threshold(s), e.g. `> 80` or `[10, 20]`. */
      threshold: z.string().optional(),
      /** The window the verdict covers, in seconds (sustained, repeated, silent). */
      windowSeconds: z.number().optional(),
      /** How many points matched in the window (repeat conditions). */
      count: z.number().int().optional(),
      /** One line a person can read, e.g. "temperature 85.2 > 80 for 60 s". */
      text: z.string().max(1024),
    }),
  }),
});
export type AlertSignal = z.infer<typeof alertSignalsTopic.schema>;
