import { createMemoryBus, deadLetterName, otaStatusTopic, type DeadLetter } from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { addDevice, rolloutDevices, useEngineTests, type Harness } from './testkit';

const { prisma, started: start, close } = useEngineTests();
const ignored = async (h: Harness, reason: string) =>
  (await h.registry.getSingleMetric('ump_ota_reports_ignored_total')!.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

describe('device reports', () => {
  it('ignore duplicates and out-of-order steps, and nothing follows a final status', async () => {
    const h = await start(1, { stages: [{ percent: 100 }] });
    const [d] = h.fleet.deviceIds;
    await h.report(d!, 'DOWNLOADING');
    await h.report(d!, 'UPDATING');
    await h.deviceIs(d!, 'UPDATING');
    await h.report(d!, 'DOWNLOADING'); // late
    await h.report(d!, 'UPDATING'); // duplicate
    await eventually(async () => (await ignored(h, 'stale')) === 2);
    const firmware = await prisma().deviceFirmware.findUniqueOrThrow({ where: { deviceId: d! } });
    expect(firmware.status).toBe('UPDATING');
    await h.deviceIs(d!, 'UPDATING');

    await h.report(d!, 'UPDATED');
    await h.deviceIs(d!, 'UPDATED');
    await h.report(d!, 'FAILED', { reason: 'too late' });
    await eventually(async () => (await ignored(h, 'stale')) === 3);
    expect((await prisma().rolloutDevice.findFirstOrThrow({ where: { rolloutId: h.rolloutId } })).status).toBe('UPDATED');
    expect((await prisma().deviceFirmware.findUniqueOrThrow({ where: { deviceId: d! } })).currentFirmwareId).toBe(h.fleet.v2.id);
    // A report naming another command changes nothing either.
    await h.report(d!, 'FAILED', { commandId: `${h.rolloutId}:${d}:7` });
    await eventually(async () => (await ignored(h, 'stale')) + (await ignored(h, 'unmatched')) === 4);
  });

  it('retry a failed install while attempts remain, with a new command id', async () => {
    const h = await start(1, { stages: [{ percent: 100 }], retry: { maxAttempts: 2 } });
    const [d] = h.fleet.deviceIds;
    await h.report(d!, 'FAILED', { reason: 'checksum' });
    await eventually(() => h.seen.commands.some((c) => c.commandId === `${h.rolloutId}:${d}:2`));
    const retried = await prisma().rolloutDevice.findFirstOrThrow({ where: { rolloutId: h.rolloutId } });
    expect(retried).toMatchObject({ status: 'ASSIGNED', attempts: 2, commandId: `${h.rolloutId}:${d}:2` });
    expect((await h.rollout()).state).toBe('RUNNING');
    // The first command's late report is no longer the assignment's.
    await h.report(d!, 'UPDATED', { commandId: `${h.rolloutId}:${d}:1` });
    await h.report(d!, 'FAILED', { reason: 'checksum again' }); // answers attempt 2
    await h.deviceIs(d!, 'FAILED');
    expect((await prisma().rolloutDevice.findFirstOrThrow({ where: { rolloutId: h.rolloutId } })).attempts).toBe(2);
    // 1 of 1 final devices failed: the install-failure gate stops the rollout.
    await h.stateIs('ABORTED');
    expect(h.seen.commands.filter((c) => c.deviceId === d).map((c) => c.commandId)).toEqual([`${h.rolloutId}:${d}:1`, `${h.rolloutId}:${d}:2`]);
  });

  it('record the firmware a device without an assignment announces, resolving a known package', async () => {
    const h = await start(0, { stages: [{ percent: 100 }] });
    const loose = await addDevice(prisma(), h.fleet.tenant.id, null, null, undefined, []);
    await h.report(loose, 'UPDATED', { title: 'meter-fw', version: '2.0.0' });
    await eventually(() => prisma().deviceFirmware.findUnique({ where: { deviceId: loose } }));
    expect(await prisma().deviceFirmware.findUniqueOrThrow({ where: { deviceId: loose } })).toMatchObject({
      currentTitle: 'meter-fw', currentVersion: '2.0.0', currentFirmwareId: h.fleet.v2.id, targetFirmwareId: null,
    });
    await h.report(loose, 'UPDATED', { title: 'custom', version: '0.1' });
    await eventually(async () => (await prisma().deviceFirmware.findUniqueOrThrow({ where: { deviceId: loose } })).currentTitle === 'custom');
    expect(await prisma().deviceFirmware.findUniqueOrThrow({ where: { deviceId: loose } })).toMatchObject({ currentFirmwareId: null, previousFirmwareId: h.fleet.v2.id });
    // An empty target waits: nothing was assigned, nothing passed.
    expect(await rolloutDevices(prisma(), h.rolloutId)).toHaveLength(0);
    expect((await h.rollout()).state).toBe('RUNNING');
  });

  it('dead-letter a malformed report and go on', async () => {
    const bus = createMemoryBus();
    const letters: DeadLetter[] = [];
    await bus.subscribe({ topic: deadLetterName(otaStatusTopic), groupId: 't', fromBeginning: true, handleBatch: async (b) => void letters.push(...b.messages.map((m) => m.value as DeadLetter)) });
    const h = await start(1, { stages: [{ percent: 100 }] }, bus);
    await bus.publish(otaStatusTopic.name, [{ key: 'x', value: { tenantId: h.fleet.tenant.id, status: 'EXPLODED' } }, { key: 'x', value: 'not json' }]);
    const [d] = h.fleet.deviceIds;
    await h.report(d!, 'UPDATED');
    await h.stateIs('SUCCEEDED');
    await eventually(() => letters.length === 2);
    expect(letters[0]).toMatchObject({ source: 'ota.status.v1', tenantId: h.fleet.tenant.id, reason: expect.stringContaining('status') });
    expect((await h.registry.getSingleMetric('ump_ota_reports_dead_lettered_total')!.get()).values[0]?.value).toBe(2);
    await close(h);
    await bus.close();
  });
});
