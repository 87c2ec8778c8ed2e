import { requireCaller, ruleSpecSchema, ruleTargetSchema, type Caller, type RuleSpec, type RuleTarget } from '@ump/core';
import type { AlertContext } from '../context';
import type { AlertHistoryRow, AlertRow } from '../data/alerts';
import type { RuleRow } from '../data/rules';
import type { SuppressionRow } from '../data/suppressions';

type Ref = { id: string };

/** Who acted, for history rows and events: the user, or the API key. */
export const actorOf = (caller: Caller) => (caller.kind === 'user' ? caller.userId : caller.apiKeyId);

// Stored JSON is validated on read too: a row written by an older deploy must not leak an
// unexpected shape into the API.
export const targetOf = (row: { target: unknown }): RuleTarget => ruleTargetSchema.parse(row.target);
export const specOf = (row: { spec: unknown }): RuleSpec => ruleSpecSchema.parse(row.spec);

const targetFields = (row: { target: unknown }) => {
  const target = targetOf(row);
  return {
    deviceId: 'deviceId' in target ? target.deviceId : null,
    profileId: 'profileId' in target ? target.profileId : null,
    labels: 'labels' in target ? target.labels : null,
  };
};

// `load()` is called without awaiting anything first, so that every reference of one
// `_entities` request lands in the same DataLoader batch.
export const AlertRule = {
  __resolveReference: (ref: Ref, ctx: AlertContext) => (requireCaller(ctx.identity), ctx.loaders.rule.load(ref.id)),
  target: targetFields,
  condition: (rule: RuleRow) => specOf(rule).condition,
  forSeconds: (rule: RuleRow) => specOf(rule).forSeconds ?? null,
  repeat: (rule: RuleRow) => specOf(rule).repeat ?? null,
  clearCondition: (rule: RuleRow) => specOf(rule).clearCondition ?? null,
  clearForSeconds: (rule: RuleRow) => specOf(rule).clearForSeconds ?? null,
  escalation: (rule: RuleRow) => specOf(rule).escalation ?? [],
};

export const Alert = {
  __resolveReference: (ref: Ref, ctx: AlertContext) => (requireCaller(ctx.identity), ctx.loaders.alert.load(ref.id)),
  device: (alert: AlertRow) => ({ id: alert.deviceId }),
  rule: (alert: AlertRow, _: unknown, ctx: AlertContext) => ctx.loaders.rule.load(alert.ruleId),
  history: (alert: AlertRow, _: unknown, ctx: AlertContext) => ctx.loaders.history.load(alert.id),
};

export const AlertHistoryEntry = {
  details: (entry: AlertHistoryRow) => entry.details,
};

export const Suppression = {
  target: (row: SuppressionRow) => targetFields(row),
};

/** An AlertGroup as Query.alertGroups builds it: the rule is loaded here. */
export const AlertGroup = {
  rule: (group: { ruleId: string }, _: unknown, ctx: AlertContext) => ctx.loaders.rule.load(group.ruleId),
};
