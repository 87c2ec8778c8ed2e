import type { TenantDb } from '@ump/db';

/** Per-device firmware state of the scoped tenant. */
export const deviceFirmwareStore = {
  byDeviceIds: (db: TenantDb, deviceIds: readonly string[]) => db.deviceFirmware.findMany({ where: { deviceId: { in: [...deviceIds] } } }),
};

export type DeviceFirmwareRow = Awaited<ReturnType<typeof deviceFirmwareStore.byDeviceIds>>[number];
