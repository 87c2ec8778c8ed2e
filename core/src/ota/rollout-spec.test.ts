import { isOtaProgress } from './statuses';
import { rolloutSpecSchema, stageReach } from './rollout-spec';

const device = '0190f6c4-8a6e-7000-8000-000000000001';

describe('rollout spec', () => {
  it('fills the defaults a user leaves out', () => {
    const spec = rolloutSpecSchema.parse({ target: { deviceIds: [device] }, stages: [{ percent: 100 }] });
    expect(spec.stages[0]).toEqual({ percent: 100, timeoutSeconds: 3600, requireApproval: false });
    expect(spec.gates).toMatchObject({ minSuccessRatio: 0.9, maxFailureRatio: 0.2, minSample: 1, onKpiFailure: 'ROLLBACK' });
    expect(spec.retry).toEqual({ maxAttempts: 1 });
  });

  it('names the bad field', () => {
    const paths = (input: unknown) => rolloutSpecSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'));
    expect(paths({ target: { profileId: device, labels: ['a'] }, stages: [{ percent: 10 }] })).toEqual(['target']);
    expect(paths({ target: { labels: ['a'] }, stages: [{ percent: 50 }, { percent: 10 }] })).toEqual(['stages.1.percent']);
    expect(paths({ target: { labels: ['a'] }, stages: [{ percent: 10, count: 3 }] })).toEqual(['stages.0']);
    expect(paths({ target: { labels: ['a'] }, stages: [{ percent: 10 }], gates: { metric: { key: 't' } } })).toEqual(['gates.metric']);
  });

  it('rounds percentages up, caps counts at the fleet, and lets a 100% stage take everyone', () => {
    const stages = rolloutSpecSchema.parse({ target: { labels: ['a'] }, stages: [{ percent: 1 }, { count: 5 }, { percent: 50 }, { percent: 100 }] }).stages;
    expect([0, 1, 2, 3].map((i) => stageReach(stages, i, 10))).toEqual([1, 5, 5, 10]);
    expect(stageReach(stages, 1, 3)).toBe(3);
  });
});

describe('OTA status order', () => {
  it('moves forward only, lets FAILED end any unfinished step, and keeps final statuses', () => {
    expect(isOtaProgress(null, 'DOWNLOADING')).toBe(true);
    expect(isOtaProgress('DOWNLOADING', 'DOWNLOADED')).toBe(true);
    expect(isOtaProgress('VERIFYING', 'DOWNLOADING')).toBe(false);
    expect(isOtaProgress('UPDATING', 'FAILED')).toBe(true);
    expect(isOtaProgress('UPDATED', 'FAILED')).toBe(false);
    expect(isOtaProgress('FAILED', 'UPDATED')).toBe(false);
  });
});
