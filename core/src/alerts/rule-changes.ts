import { z } from 'zod';

/**
 * Cache pub/sub channel on which the alert subgraph announces rule changes; the rule worker
 * reloads the rule at once (it also reloads every rule periodically, since pub/sub is
 * at-most-once).
 */
export const RULE_CHANGES_CHANNEL = 'alert-rules.changed';

export const ruleChangeSchema = z.object({
  tenantId: z.string().uuid(),
  ruleId: z.string().uuid(),
  change: z.enum(['created', 'updated', 'deleted']),
});
export type RuleChange = z.infer<typeof ruleChangeSchema>;
