import { z } from 'zod';
import { rolloutStates } from '../ota/statuses';
import { defineTopic } from '../ports/topic';

export const rolloutEventTypes = ['state_changed', 'stage_started', 'gate_evaluated', 'device_progress'] as const;
export type RolloutEventType = (typeof rolloutEventTypes)[number];

/**
 * `rollout.events.v1`, keyed by rollout id: progress of a rollout, for live subscribers
 * (`rolloutEvents(rolloutId)`) and the rollout history in the telemetry store. Keys and
 * the fields subscribers filter on only; the rest is resolved through the graph.
 * `device_progress` carries the device, its stage, the firmware it is moving to and its
 * status, so statistics per stage and firmware can be built from the events alone.
 */
export const rolloutEventsTopic = defineTopic({
  name: 'rollout.events',
  version: 1,
  schema: z.object({
    eventId: z.string().min(1).max(160),
    type: z.enum(rolloutEventTypes),
    tenantId: z.string().uuid(),
    rolloutId: z.string().uuid(),
    state: z.enum(rolloutStates),
    stageIndex: z.number().int().min(0),
    deviceId: z.string().uuid().optional(),
    firmwareId: z.string().uuid().optional(),
    firmwareVersion: z.string().optional(),
    /** The device's status (OtaStatus, ROLLING_BACK, ROLLED_BACK) for device_progress. */
    deviceStatus: z.string().optional(),
    /** The gate's name and verdict for gate_evaluated. */
    gate: z.string().optional(),
    passed: z.boolean().optional(),
    /** Epoch ms. */
    at: z.number().int(),
  }),
});
export type RolloutEvent = z.infer<typeof rolloutEventsTopic.schema>;
