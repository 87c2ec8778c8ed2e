// The OTA agent over the real HTTP transport and downloader, against a local stand-in for the
// intake (node:http on a free port) that serves pending assignments, firmware and status.
import { randomBytes } from 'node:crypto';
import type { SimDevice } from '../provision';
import { createHttpTransport } from '../transports/http';
import type { DeviceLink, Transport } from '../transports/transport';
import { createOtaAgent, otaFailureRoll, type OtaAgent, type OtaAgentEvent, type OtaAgentOptions } from './agent';
import { createDownloader, type Downloader } from './download';
import { DeviceFirmware } from './firmware';
import type { FirmwareAssignment, OtaStatusReport } from './protocol';
import { startFakeIntake, waitFor, type FakeIntake } from './testkit';

const never = new AbortController().signal;
let serial = 0;
const newDevice = (): SimDevice => {
  serial += 1;
  return { index: serial, id: `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`, name: `sim-${serial}`, token: `tok-${serial}` };
};
const statuses = (reports: OtaStatusReport[]) => reports.map((r) => (r.status === 'DOWNLOADING' ? `DOWNLOADING ${r.progress}` : r.status));
/** The reports up to and including the first final one of `commandId`: a poll racing the final report may have it sent again. */
const untilFinal = (reports: OtaStatusReport[], commandId: string) =>
  reports.slice(0, reports.findIndex((r) => r.commandId === commandId && (r.status === 'UPDATED' || r.status === 'FAILED')) + 1);

describe('OTA agent over HTTP', () => {
  let intake: FakeIntake;
  let transport: Transport;
  let downloader: Downloader;
  const running: Array<{ agent: OtaAgent; link: DeviceLink }> = [];
  const bytes = randomBytes(200_000);

  beforeAll(async () => {
    intake = await startFakeIntake();
    transport = createHttpTransport({ baseUrl: intake.url, otaPollMs: 20 });
    downloader = createDownloader({ baseUrl: intake.url, retryBaseMs: 5 });
  });
  afterEach(async () => {
    for (const { agent, link } of running.splice(0)) {
      await agent.stop();
      await link.close();
    }
  });
  afterAll(async () => {
    downloader.close();
    await transport.close();
    await intake.close();
  });

  async function start(overrides: Partial<OtaAgentOptions> = {}) {
    const device = newDevice();
    const link = await transport.connect(device, never);
    const firmware = new DeviceFirmware({ title: 'ump-sim', version: '1.0.0' });
    const events: OtaAgentEvent[] = [];
    const agent = createOtaAgent({
      device,
      firmware,
      link: link.ota!,
      downloader,
      installMs: 20,
      onEvent: (e) => events.push(e),
      ...overrides,
    });
    running.push({ agent, link });
    await agent.start();
    return { device, firmware, events, agent, reports: () => intake.reports(device.token) };
  }
  const update = (firmware: FirmwareAssignment, commandId = `cmd-${++serial}`) => ({ type: 'UPDATE' as const, commandId, firmware });

  it('announces its firmware, then takes an update through every step in order, with progress', async () => {
    const { device, firmware, reports, agent } = await start();
    await waitFor(() => reports().length === 1, 'the announcement');
    expect(reports()[0]).toEqual({ status: 'UPDATED', title: 'ump-sim', version: '1.0.0', ts: expect.any(Number) });

    const fw = intake.addFirmware({ title: 'ump-sim', version: '2.0.0', bytes });
    const command = update(fw);
    intake.setPending(device.token, command);
    await waitFor(() => reports().some((r) => r.commandId === command.commandId && r.status === 'UPDATED'), 'UPDATED');

    const job = untilFinal(reports(), command.commandId).slice(1);
    expect(job.map((r) => r.status)).toEqual([
      'QUEUED',
      ...job.filter((r) => r.status === 'DOWNLOADING').map(() => 'DOWNLOADING'),
      'DOWNLOADED',
      'VERIFYING',
      'UPDATING',
      'UPDATED',
    ]);
    // From 0 to 100, rising, at least a quarter apart (chunk sizes decide the exact values).
    const progress = job.filter((r) => r.status === 'DOWNLOADING').map((r) => r.progress!);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(100);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    progress.slice(1).forEach((p, i) => expect(Math.floor(p / 25)).toBeGreaterThan(Math.floor(progress[i]! / 25)));
    for (const report of job) expect(report).toMatchObject({ commandId: command.commandId, firmwareId: fw.id, ts: expect.any(Number) });
    expect(job.at(-1)).toMatchObject({ title: 'ump-sim', version: '2.0.0' });
    expect(firmware).toMatchObject({ title: 'ump-sim', version: '2.0.0' });
    expect(agent.state()).toEqual({ commandId: command.commandId, status: 'UPDATED', outcome: 'UPDATED' });
    // Polls kept returning the assignment while it ran: it was downloaded once.
    expect(intake.downloads.filter((d) => d.token === device.token)).toHaveLength(1);
  });

  it('resumes a download the server cut, and installs the right bytes', async () => {
    const { device, firmware, reports } = await start();
    const fw = intake.addFirmware({ title: 'ump-sim', version: '2.0.1', bytes });
    intake.cut(fw.id, 70_000);
    const command = update(fw);
    intake.setPending(device.token, command);
    await waitFor(() => reports().some((r) => r.commandId === command.commandId && r.status === 'UPDATED'), 'UPDATED');

    const requests = intake.downloads.filter((d) => d.firmwareId === fw.id);
    expect(requests.map((d) => [d.status, d.range])).toEqual([
      [200, undefined],
      [206, 'bytes=70000-'],
    ]);
    expect(firmware.version).toBe('2.0.1');
    expect(statuses(untilFinal(reports(), command.commandId)).filter((s) => !s.startsWith('DOWNLOADING'))).toEqual([
      'UPDATED', // the announcement
      'QUEUED',
      'DOWNLOADED',
      'VERIFYING',
      'UPDATING',
      'UPDATED',
    ]);
  });

  it('fails with "checksum mismatch" when the bytes do not hash to the assignment, and keeps its firmware', async () => {
    const { device, firmware, reports, events } = await start();
    const fw = intake.addFirmware({ title: 'ump-sim', version: '2.0.2', bytes, sha256: 'ab'.repeat(32) });
    const command = update(fw);
    intake.setPending(device.token, command);
    await waitFor(() => reports().some((r) => r.status === 'FAILED'), 'FAILED');

    const job = untilFinal(reports(), command.commandId);
    expect(statuses(job).slice(-3)).toEqual(['DOWNLOADED', 'VERIFYING', 'FAILED']);
    expect(job.at(-1)).toEqual({ commandId: command.commandId, firmwareId: fw.id, status: 'FAILED', reason: 'checksum mismatch', ts: expect.any(Number) });
    expect(firmware.version).toBe('1.0.0');
    expect(events).toContainEqual(expect.objectContaining({ type: 'finished', outcome: 'FAILED', reason: 'checksum mismatch' }));
  });

  it('fails with "simulated install failure" when its roll says so, after UPDATING', async () => {
    const { device, firmware, reports } = await start({ failureRate: 1 });
    const fw = intake.addFirmware({ title: 'ump-sim', version: '2.0.3', bytes });
    const command = update(fw);
    intake.setPending(device.token, command);
    await waitFor(() => reports().some((r) => r.status === 'FAILED'), 'FAILED');
    const job = untilFinal(reports(), command.commandId);
    expect(statuses(job).slice(-2)).toEqual(['UPDATING', 'FAILED']);
    expect(job.at(-1)).toMatchObject({ reason: 'simulated install failure', commandId: command.commandId, firmwareId: fw.id });
    expect(firmware.version).toBe('1.0.0');
  });

  it('stops on CANCEL: no more reports, the download is dropped, the firmware stays, a redelivery is ignored', async () => {
    const { device, firmware, reports, events, agent } = await start();
    const fw = intake.addFirmware({ title: 'ump-sim', version: '2.0.4', bytes });
    intake.stall(fw.id, 120_000);
    const command = update(fw);
    intake.setPending(device.token, command);
    await waitFor(() => reports().some((r) => r.status === 'DOWNLOADING' && r.progress! > 0), 'download progress');

    intake.setPending(device.token, { type: 'CANCEL', commandId: command.commandId });
    await waitFor(() => events.some((e) => e.type === 'finished' && e.outcome === 'CANCELLED'), 'the cancel');
    const seen = reports().length;
    // The stale assignment comes back: a cancelled command is not started again.
    intake.setPending(device.token, command);
    const polls = intake.polls(device.token);
    await waitFor(() => intake.polls(device.token) >= polls + 5, 'five more polls');

    expect(reports()).toHaveLength(seen);
    expect(reports().at(-1)).toMatchObject({ status: 'DOWNLOADING', progress: expect.any(Number) });
    expect(reports().at(-1)!.progress).toBeLessThan(100);
    expect(intake.downloads.filter((d) => d.firmwareId === fw.id)).toHaveLength(1);
    expect(firmware.version).toBe('1.0.0');
    expect(agent.state()).toMatchObject({ commandId: command.commandId, outcome: 'CANCELLED' });

    // And it takes the next command as usual.
    const next = update(intake.addFirmware({ title: 'ump-sim', version: '2.0.5', bytes }));
    intake.setPending(device.token, next);
    await waitFor(() => firmware.version === '2.0.5', 'the next update');
  });

  it('supersedes a running update with a new one, reporting the old one FAILED', async () => {
    const { device, firmware, reports } = await start();
    const slow = intake.addFirmware({ title: 'ump-sim', version: '3.0.0', bytes });
    intake.stall(slow.id, 10_000);
    const first = update(slow);
    intake.setPending(device.token, first);
    await waitFor(() => reports().some((r) => r.commandId === first.commandId && r.status === 'DOWNLOADING'), 'the first download');
    const second = update(intake.addFirmware({ title: 'ump-sim', version: '3.0.1', bytes }));
    intake.setPending(device.token, second);
    await waitFor(() => firmware.version === '3.0.1', 'the second update');
    expect(reports()).toContainEqual(expect.objectContaining({ commandId: first.commandId, status: 'FAILED', reason: `superseded by ${second.commandId}` }));
    expect(reports().filter((r) => r.commandId === first.commandId && r.status === 'UPDATED')).toEqual([]);
  });

  it('answers UPDATED at once for the firmware it already runs', async () => {
    const { device, reports } = await start();
    const same = intake.addFirmware({ title: 'ump-sim', version: '1.0.0', bytes });
    const command = update(same);
    intake.setPending(device.token, command);
    await waitFor(() => reports().some((r) => r.commandId === command.commandId), 'the answer');
    expect(reports()[1]).toMatchObject({ commandId: command.commandId, firmwareId: same.id, status: 'UPDATED', title: 'ump-sim', version: '1.0.0' });
    expect(intake.downloads.filter((d) => d.firmwareId === same.id)).toEqual([]);
  });

  it('ignores a malformed assignment and says so', async () => {
    const { events, agent } = await start();
    agent.handle('{"type":"UPDATE","commandId":"x"}');
    agent.handle('not json');
    expect(events.filter((e) => e.type === 'invalid')).toHaveLength(2);
    expect(agent.state()).toEqual({});
  });

  it('rolls the same failure for the same seed, device and command', () => {
    expect(otaFailureRoll(7, 'd', 'c')).toBe(otaFailureRoll(7, 'd', 'c'));
    expect(otaFailureRoll(7, 'd', 'c')).not.toBe(otaFailureRoll(8, 'd', 'c'));
  });
});
