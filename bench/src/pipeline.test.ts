import { createPipelineMeter, parseCounters } from './pipeline';

describe('parseCounters', () => {
  it('sums the intake and writer counters over their labels', () => {
    const text = [
      '# HELP ump_intake_accepted_messages_total Requests and publishes',
      'ump_intake_accepted_messages_total{protocol="mqtt",service="ump"} 1200',
      'ump_intake_accepted_messages_total{protocol="http",service="ump"} 34',
      'ump_intake_accepted_messages_total_other{service="ump"} 9',
      'ump_telemetry_writer_written_total{service="ump"} 1000',
    ].join('\n');
    expect(parseCounters(text)).toEqual({ acknowledged: 1234, stored: 1000 });
    expect(parseCounters('')).toEqual({ acknowledged: 0, stored: 0 });
  });
});

describe('pipeline meter', () => {
  it('is the difference between the readings at the start and the end of sending', async () => {
    const readings = [
      { acknowledged: 100, stored: 50, at: 1_000 },
      { acknowledged: 700, stored: 350, at: 61_000 },
    ];
    const meter = createPipelineMeter(async () => readings.shift()!);
    meter.sendingEnded(); // ignored before sending started
    meter.sendingStarted();
    meter.sendingStarted();
    meter.sendingEnded();
    meter.sendingEnded();
    expect(await meter.result()).toEqual({ seconds: 60, acknowledged: 600, stored: 300 });
  });

  it('says why when a reading failed or sending never started', async () => {
    expect(await createPipelineMeter(async () => ({ acknowledged: 0, stored: 0, at: 0 })).result()).toEqual({ unavailable: 'sending never started' });
    const meter = createPipelineMeter(() => Promise.reject(new Error('connect ECONNREFUSED')));
    meter.sendingStarted();
    meter.sendingEnded();
    expect(await meter.result()).toEqual({ unavailable: "the platform's /metrics could not be read (connect ECONNREFUSED)" });
  });
});
