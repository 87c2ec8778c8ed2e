import type { OtaCommand, RolloutEvent, RolloutEventType, RolloutState } from '@ump/core';

/** The columns of a rollout an event is stamped with. */
export interface RolloutHead {
  id: string;
  tenantId: string;
  state: string;
  stageIndex: number;
}

/** The firmware fields a command carries. */
export interface FirmwareRef {
  id: string;
  title: string;
  version: string;
  size: number;
  sha256: string;
}

/** A `rollout.events.v1` event of the rollout as it is now. */
export function rolloutEvent(
  rollout: RolloutHead,
  type: RolloutEventType,
  eventId: string,
  at: number,
  extra: Pick<RolloutEvent, 'deviceId' | 'firmwareId' | 'firmwareVersion' | 'deviceStatus' | 'gate' | 'passed'> = {},
): RolloutEvent {
  return {
    eventId,
    type,
    tenantId: rollout.tenantId,
    rolloutId: rollout.id,
    state: rollout.state as RolloutState,
    stageIndex: rollout.stageIndex,
    ...extra,
    at,
  };
}

/** `device_progress` of one device: the firmware it moves to and its status. */
export function deviceProgress(rollout: RolloutHead, device: { deviceId: string; commandId: string; status: string }, firmware: FirmwareRef, at: number): RolloutEvent {
  return rolloutEvent(rollout, 'device_progress', `${device.commandId}:${device.status}`, at, {
    deviceId: device.deviceId,
    firmwareId: firmware.id,
    firmwareVersion: firmware.version,
    deviceStatus: device.status,
  });
}

/** An `ota.commands.v1` command for one device. */
export function otaCommand(
  type: OtaCommand['type'],
  target: { tenantId: string; deviceId: string; rolloutId: string; commandId: string },
  firmware: FirmwareRef,
  at: number,
): OtaCommand {
  const { id, title, version, size, sha256 } = firmware;
  return { commandId: target.commandId, type, tenantId: target.tenantId, deviceId: target.deviceId, rolloutId: target.rolloutId, firmware: { id, title, version, size, sha256 }, at };
}

/** Command ids: what devices echo in their reports. Attempts count from 1. */
export const commandIds = {
  install: (rolloutId: string, deviceId: string, attempt: number) => `${rolloutId}:${deviceId}:${attempt}`,
  rollback: (rolloutId: string, deviceId: string) => `${rolloutId}:${deviceId}:rollback`,
  cancel: (commandId: string) => `${commandId}:cancel`,
};
