// The device side of OTA as devices see it: topics, paths and the messages the intake sends.
// Transport-free, so the HTTP routes, the MQTT downlink and the simulator agree on one shape.
import type { OtaCommand } from '@ump/core';

/** Devices subscribe here (QoS 0 or 1) for UPDATE and CANCEL messages. */
export const OTA_DOWNLINK_TOPIC = 'v1/devices/me/ota';
/** Devices publish their update reports here (JSON, see status.ts). */
export const OTA_STATUS_TOPIC = 'v1/devices/me/ota/status';

/** `GET`: 200 with the pending UPDATE message, 204 when there is none. */
export const OTA_PENDING_PATH = '/api/v1/ota/pending';
/** `POST`: a status report, answered 202 `{"accepted":1,"messageId":…}`. */
export const OTA_STATUS_PATH = '/api/v1/ota/status';
/** `GET`/`HEAD` `<this>/<firmwareId>`: the firmware bytes, with Range support. */
export const OTA_FIRMWARE_PATH = '/api/v1/ota/firmware';

/** Where a device downloads a firmware: a path on the intake's HTTP port. */
export function firmwareUrl(firmwareId: string): string {
  return `${OTA_FIRMWARE_PATH}/${firmwareId}`;
}

/** The firmware fields every UPDATE carries. */
export interface FirmwareDescriptor {
  id: string;
  title: string;
  version: string;
  size: number;
  /** Lower-case hex; the device verifies the downloaded bytes against it. */
  sha256: string;
}

/** Install `firmware`; the device echoes `commandId` in its reports. */
export interface OtaUpdateMessage {
  type: 'UPDATE';
  commandId: string;
  firmware: FirmwareDescriptor & { url: string };
}

/** Withdraws the assignment `commandId` (when the device has not finished it). */
export interface OtaCancelMessage {
  type: 'CANCEL';
  commandId: string;
}

export type OtaDeviceMessage = OtaUpdateMessage | OtaCancelMessage;

/** The UPDATE message for an assignment. */
export function updateMessage(commandId: string, firmware: FirmwareDescriptor): OtaUpdateMessage {
  const { id, title, version, size, sha256 } = firmware;
  return { type: 'UPDATE', commandId, firmware: { id, title, version, size, sha256, url: firmwareUrl(id) } };
}

/** What a device receives for an ota.commands.v1 command. */
export function deviceMessageOf(command: OtaCommand): OtaDeviceMessage {
  return command.type === 'UPDATE' ? updateMessage(command.commandId, command.firmware) : { type: 'CANCEL', commandId: command.commandId };
}
