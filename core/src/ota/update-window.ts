// While a device installs an update it may reboot and go silent: the OTA engine marks that
// window in the cache (Redis at scale) and the alert subgraph holds "no data" alerts for
// the device meanwhile. One key per device; the TTL ends a window whose device never
// reported back.

export const updateWindowKey = (deviceId: string) => `ota:updating:${deviceId}`;
