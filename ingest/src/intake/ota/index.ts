// The device side of OTA in the intake: the pending assignment (HTTP poll, MQTT push on
// subscribe), commands pushed over MQTT, status reports from both transports, and firmware
// downloads over HTTP. http.ts and mqtt.ts route to it; createIntake wires it.
import type { ArtifactStore, EventBus, Logger } from '@ump/core';
import type { PrismaClient } from '@ump/db';
import type { ConnectivityTracker } from '../connectivity';
import type { IntakeMetrics } from '../metrics';
import { createOtaDownlink, type OtaDownlink } from './downlink';
import { readPendingAssignment } from './pending';
import { createOtaStatusIntake, type StatusClockLimits, type OtaStatusIntake } from './status';

export { OTA_DOWNLINK_TOPIC, OTA_FIRMWARE_PATH, OTA_PENDING_PATH, OTA_STATUS_PATH, OTA_STATUS_TOPIC } from './protocol';
export type { OtaCancelMessage, OtaDeviceMessage, OtaUpdateMessage } from './protocol';
export { OTA_STATUS_DLQ } from './status';

/** What both transports use. */
export interface OtaServices {
  prisma: PrismaClient;
  /** Absent: firmware downloads answer 503. */
  artifacts: ArtifactStore | undefined;
  status: OtaStatusIntake;
  downlink: OtaDownlink;
  connectivity: ConnectivityTracker;
  logger: Logger;
  metrics: IntakeMetrics;
}

/** Builds the OTA services of one intake instance; nothing consumes until `downlink.start()`. */
export function createOtaServices(deps: {
  prisma: PrismaClient;
  bus: EventBus;
  artifacts: ArtifactStore | undefined;
  connectivity: ConnectivityTracker;
  logger: Logger;
  metrics: IntakeMetrics;
  /** Names this instance's consumer group on ota.commands.v1. */
  instanceId: string;
  limits: StatusClockLimits;
  maxBodyBytes: number;
}): OtaServices {
  const { prisma, bus, artifacts, connectivity, logger, metrics, instanceId, limits, maxBodyBytes } = deps;
  return {
    prisma,
    artifacts,
    connectivity,
    logger,
    metrics,
    status: createOtaStatusIntake({ bus, logger, metrics, connectivity, limits, maxBodyBytes }),
    downlink: createOtaDownlink({ bus, readPending: (device) => readPendingAssignment(prisma, device), instanceId, logger, metrics }),
  };
}
