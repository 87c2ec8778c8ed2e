import { createLogger, createMemoryBus, createMetrics, otaCommandsTopic, type OtaCommand } from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { createIntakeMetrics } from '../metrics';
import { createOtaDownlink, type DownlinkEndpoint } from './downlink';
import type { OtaDeviceMessage, OtaUpdateMessage } from './protocol';

const device = { tenantId: '0190a8e4-7c3b-7000-8000-0000000000aa', deviceId: '0190a8e4-7c3b-7000-8000-0000000000bb' };
const firmware = { id: '0190a8e4-7c3b-7000-8000-0000000000cc', title: 'fw', version: '1.0.0', size: 3, sha256: 'a'.repeat(64) };
const pending: OtaUpdateMessage = { type: 'UPDATE', commandId: 'old', firmware: { ...firmware, url: `/api/v1/ota/firmware/${firmware.id}` } };

function setup(readPending: () => Promise<OtaUpdateMessage | null>) {
  const bus = createMemoryBus();
  const downlink = createOtaDownlink({
    bus,
    readPending,
    instanceId: 'test',
    logger: createLogger({ name: 'test', level: 'silent', format: 'json' }),
    metrics: createIntakeMetrics(createMetrics('intake').registry),
  });
  const received: OtaDeviceMessage[] = [];
  const endpoint: DownlinkEndpoint = { device, send: (message) => received.push(message) };
  const cancel = (commandId: string): OtaCommand => ({ commandId, type: 'CANCEL', ...device, firmware, at: Date.now() });
  return { bus, downlink, endpoint, received, cancel };
}

test('a command pushed while the pending assignment is read supersedes it', async () => {
  let release!: (value: OtaUpdateMessage | null) => void;
  const { bus, downlink, endpoint, received, cancel } = setup(() => new Promise((resolve) => (release = resolve)));
  await downlink.start();
  const attached = downlink.attach(endpoint);
  await bus.publish(otaCommandsTopic.name, [{ key: device.deviceId, value: cancel('old') }]);
  await eventually(() => received.length === 1);
  // The read started before the CANCEL was committed and still shows the assignment.
  release(pending);
  await attached;
  expect(received).toEqual([{ type: 'CANCEL', commandId: 'old' }]);
  await downlink.stop();
  await bus.close();
});

test('without a command in between, the pending assignment is sent; a detached endpoint gets nothing', async () => {
  const { bus, downlink, endpoint, received, cancel } = setup(async () => pending);
  await downlink.start();
  await downlink.attach(endpoint);
  expect(received).toEqual([pending]);
  downlink.detach(endpoint);
  downlink.detach(endpoint);
  const other = { device, send: (message: OtaDeviceMessage) => received.push(message) };
  await downlink.attach(other);
  await bus.publish(otaCommandsTopic.name, [{ key: device.deviceId, value: cancel('old') }]);
  await eventually(() => received.length === 3);
  expect(received.slice(1)).toEqual([pending, { type: 'CANCEL', commandId: 'old' }]);
  await downlink.stop();
  await bus.close();
});
