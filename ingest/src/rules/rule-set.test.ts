import { randomUUID } from 'node:crypto';
import type { AlertRuleDefinition, RuleTarget } from '@ump/core';
import { createRuleSet, parseRuleRow, targets, type DeviceFacts } from './rule-set';

const tenantId = randomUUID();
const spec = { condition: { key: 't', op: 'GT' as const, value: 1 } };
const ruleOf = (target: RuleTarget, over: Partial<AlertRuleDefinition> = {}): AlertRuleDefinition => ({
  id: randomUUID(), tenantId, name: 'r', severity: 'MAJOR', target, spec, version: 1, ...over,
});

describe('parseRuleRow', () => {
  it('accepts a stored row and names every bad field of an invalid one', () => {
    const row = { id: randomUUID(), tenantId, name: 'hot', severity: 'MINOR', target: { labels: ['a'] }, spec, version: 3, enabled: true };
    expect(parseRuleRow(row)).toEqual({ ok: true, rule: { id: row.id, tenantId, name: 'hot', severity: 'MINOR', target: { labels: ['a'] }, spec, version: 3 } });
    const bad = parseRuleRow({ ...row, severity: 'LOUD', spec: { condition: { key: 't', op: 'GT', value: 'x' } } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/severity: .*; spec\.condition/);
  });
});

describe('targets', () => {
  const device = randomUUID();
  const profileId = randomUUID();
  const facts: DeviceFacts = { tenantId, profileId, labels: ['site=berlin', 'floor=2'] };
  it.each<[string, RuleTarget, DeviceFacts | null, boolean]>([
    ['its id', { deviceId: device }, facts, true],
    ['the id of a deleted device', { deviceId: device }, null, false],
    ["the id of another tenant's device", { deviceId: device }, { ...facts, tenantId: randomUUID() }, false],
    ['another id', { deviceId: randomUUID() }, facts, false],
    ['its profile', { profileId }, facts, true],
    ['another profile', { profileId: randomUUID() }, facts, false],
    ['a subset of its labels', { labels: ['floor=2'] }, facts, true],
    ['all of its labels', { labels: ['floor=2', 'site=berlin'] }, facts, true],
    ['a label it lacks', { labels: ['site=berlin', 'floor=3'] }, facts, false],
    ['labels of an unknown device', { labels: ['site=berlin'] }, null, false],
    ["labels of another tenant's device", { labels: ['site=berlin'] }, { ...facts, tenantId: randomUUID() }, false],
    ["the profile of another tenant's device", { profileId }, { ...facts, tenantId: randomUUID() }, false],
  ])('a rule on %s', (_name, target, deviceFacts, expected) => {
    expect(targets(ruleOf(target), device, deviceFacts)).toBe(expected);
  });
});

describe('createRuleSet', () => {
  it('indexes by tenant, and a full reload never replaces a newer version it holds', () => {
    const set = createRuleSet();
    const a = ruleOf({ labels: ['x'] });
    const other = ruleOf({ labels: ['x'] }, { tenantId: randomUUID() });
    set.replaceAll([a, other]);
    expect(set.forTenant(tenantId)).toEqual([a]);
    set.upsert({ ...a, version: 2, severity: 'CRITICAL' });
    set.replaceAll([a, other]); // read before the change was committed
    expect(set.get(a.id)).toMatchObject({ version: 2, severity: 'CRITICAL' });
    set.remove(a.id);
    expect(set.forTenant(tenantId)).toEqual([]);
    expect(set.size).toBe(1);
  });
});
