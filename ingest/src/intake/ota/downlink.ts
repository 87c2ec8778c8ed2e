import { otaCommandsTopic, type BusSubscription, type EventBus, type Logger } from '@ump/core';
import type { DeviceCredential } from '../credentials';
import type { IntakeMetrics } from '../metrics';
import { deviceMessageOf, type OtaDeviceMessage, type OtaUpdateMessage } from './protocol';

/** One subscribed connection of a device, as the transport presents it. */
export interface DownlinkEndpoint {
  readonly device: Pick<DeviceCredential, 'tenantId' | 'deviceId'>;
  /** Sends one message; never throws (a dead connection just drops it). */
  send(message: OtaDeviceMessage): void;
}

/** Pushes OTA messages to the devices connected to this instance; see {@link createOtaDownlink}. */
export interface OtaDownlink {
  /**
   * Registers an endpoint that just subscribed and sends it the pending assignment, if any,
   * unless a command for its device was pushed while that was read (the command is newer).
   * Resolves once that is done; a database error is logged, not thrown (the device still
   * receives later commands and can poll).
   */
  attach(endpoint: DownlinkEndpoint): Promise<void>;
  /** Stops pushing to an endpoint (unsubscribe, disconnect). Idempotent. */
  detach(endpoint: DownlinkEndpoint): void;
  /** Joins ota.commands.v1 in this instance's own group; resolves once it is a member. */
  start(): Promise<void>;
  /** Leaves the group (waiting for a batch in progress). Idempotent. */
  stop(): Promise<void>;
}

/**
 * The MQTT downlink's transport-free half. Every intake instance consumes ota.commands.v1
 * in a group of its own (`intake-ota-<instanceId>`, only what is published after it joined),
 * so each instance sees every command and delivers it to the endpoints of that device
 * connected to it; a device connected elsewhere is served there, and one not connected at
 * all finds the assignment by polling or on its next subscribe (the database is the
 * record, the command only a nudge). A command whose tenant does not match the endpoint's
 * credential is never delivered. Invalid commands are counted and skipped: with a group per
 * instance, dead-lettering them here would write one letter per instance.
 *
 * Devices may see an UPDATE twice (pending read and push racing): they dedupe by commandId.
 */
export function createOtaDownlink(deps: {
  bus: EventBus;
  /** The device's pending assignment (readPendingAssignment bound to the database). */
  readPending: (device: Pick<DeviceCredential, 'tenantId' | 'deviceId'>) => Promise<OtaUpdateMessage | null>;
  instanceId: string;
  logger: Logger;
  metrics: IntakeMetrics;
}): OtaDownlink {
  const { bus, readPending, instanceId, logger, metrics } = deps;
  const endpoints = new Map<string, Set<DownlinkEndpoint>>();
  // Per device: how many commands were pushed so far, so attach can tell whether one
  // arrived while it was reading. Entries live as long as the device has endpoints here.
  const pushed = new Map<string, number>();
  let consumer: BusSubscription | undefined;

  const deliver = (message: OtaDeviceMessage, tenantId: string, deviceId: string) => {
    const targets = [...(endpoints.get(deviceId) ?? [])].filter((endpoint) => endpoint.device.tenantId === tenantId);
    if (targets.length === 0) return false;
    pushed.set(deviceId, (pushed.get(deviceId) ?? 0) + 1);
    for (const endpoint of targets) endpoint.send(message);
    return true;
  };

  return {
    async attach(endpoint) {
      const { deviceId } = endpoint.device;
      let set = endpoints.get(deviceId);
      if (!set) endpoints.set(deviceId, (set = new Set()));
      set.add(endpoint);
      const before = pushed.get(deviceId) ?? 0;
      try {
        const pending = await readPending(endpoint.device);
        const superseded = (pushed.get(deviceId) ?? 0) !== before;
        if (pending && !superseded && endpoints.get(deviceId)?.has(endpoint)) endpoint.send(pending);
      } catch (error) {
        logger.error({ err: error, deviceId }, 'could not read the pending OTA assignment');
      }
    },

    detach(endpoint) {
      const { deviceId } = endpoint.device;
      const set = endpoints.get(deviceId);
      if (!set?.delete(endpoint) || set.size > 0) return;
      endpoints.delete(deviceId);
      pushed.delete(deviceId);
    },

    async start() {
      consumer ??= await bus.subscribe({
        topic: otaCommandsTopic.name,
        groupId: `intake-ota-${instanceId}`,
        handleBatch: async ({ messages }) => {
          for (const { value, offset } of messages) {
            const parsed = otaCommandsTopic.parse(value);
            if (!parsed.ok) {
              metrics.otaCommands.inc({ type: 'unknown', outcome: 'invalid' });
              logger.warn({ offset, reason: parsed.reason }, 'invalid OTA command skipped');
              continue;
            }
            const command = parsed.value;
            const delivered = deliver(deviceMessageOf(command), command.tenantId, command.deviceId);
            metrics.otaCommands.inc({ type: command.type, outcome: delivered ? 'delivered' : 'not_connected' });
          }
        },
      });
    },

    async stop() {
      const running = consumer;
      consumer = undefined;
      await running?.stop();
    },
  };
}
