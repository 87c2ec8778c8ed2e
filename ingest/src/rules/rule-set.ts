import { ruleSpecSchema, ruleTargetSchema, severities, type AlertRuleDefinition } from '@ump/core';
import { z } from 'zod';

/** What the worker knows of a device to decide which rules watch it. */
export interface DeviceFacts {
  tenantId: string;
  profileId: string | null;
  labels: string[];
}

// A stored row as the worker reads it: the JSON columns are validated like any input,
// since another deploy (or a hand-edited row) may have written them.
const ruleRowSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  severity: z.enum(severities),
  target: ruleTargetSchema,
  spec: ruleSpecSchema,
  version: z.number().int(),
});

/** A stored rule row, validated; `reason` names every bad field (e.g. `spec.condition: …`). */
export function parseRuleRow(row: unknown): { ok: true; rule: AlertRuleDefinition } | { ok: false; reason: string } {
  const parsed = ruleRowSchema.safeParse(row);
  if (parsed.success) return { ok: true, rule: parsed.data };
  return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ') };
}

/**
 * Whether a rule watches a device: its id, its profile, or every label of the rule. The
 * device row must exist and belong to the rule's tenant, whatever the target: a rule never
 * sees another tenant's device, even one it names, nor a deleted device.
 */
export function targets(rule: AlertRuleDefinition, deviceId: string, device: DeviceFacts | null | undefined): boolean {
  const { target } = rule;
  if (!device || device.tenantId !== rule.tenantId) return false;
  if ('deviceId' in target) return target.deviceId === deviceId;
  if ('profileId' in target) return device.profileId === target.profileId;
  return target.labels.every((label) => device.labels.includes(label));
}

/** The enabled rules the worker applies, by tenant. Mutable; only the worker holds one. */
export interface RuleSet {
  /** The tenant's rules (empty for a tenant without any). */
  forTenant(tenantId: string): readonly AlertRuleDefinition[];
  get(ruleId: string): AlertRuleDefinition | undefined;
  /** Replaces every rule, except that a rule already held at a newer version is kept. */
  replaceAll(rules: readonly AlertRuleDefinition[]): void;
  /** Adds or replaces one rule. */
  upsert(rule: AlertRuleDefinition): void;
  remove(ruleId: string): void;
  readonly size: number;
}

/**
 * Creates an empty rule set. `replaceAll` keeps a newer version it already holds because a
 * full reload may have read a row just before a change that a notification then applied.
 */
export function createRuleSet(): RuleSet {
  let byId = new Map<string, AlertRuleDefinition>();
  let byTenant = new Map<string, AlertRuleDefinition[]>();
  const index = () => {
    byTenant = new Map();
    for (const rule of byId.values()) byTenant.set(rule.tenantId, [...(byTenant.get(rule.tenantId) ?? []), rule]);
  };
  return {
    forTenant: (tenantId) => byTenant.get(tenantId) ?? [],
    get: (ruleId) => byId.get(ruleId),
    replaceAll(rules) {
      const next = new Map<string, AlertRuleDefinition>();
      for (const rule of rules) {
        const held = byId.get(rule.id);
        next.set(rule.id, held && held.version > rule.version ? held : rule);
      }
      byId = next;
      index();
    },
    upsert(rule) {
      byId.set(rule.id, rule);
      index();
    },
    remove(ruleId) {
      if (byId.delete(ruleId)) index();
    },
    get size() {
      return byId.size;
    },
  };
}
