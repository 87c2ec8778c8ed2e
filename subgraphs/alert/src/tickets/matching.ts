import { severities, severityRank, ticketPriorities, type Severity } from '@ump/core';

/** The policy columns matching looks at. */
export interface PolicyCriteria {
  name: string;
  enabled: boolean;
  minSeverity: string;
  ruleId: string | null;
  profileId: string | null;
  labels: string[];
  priority: string;
}

/** The alert and device facts a policy is matched against. */
export interface MatchSubject {
  severity: string;
  ruleId: string;
  device: { profileId: string | null; labels: string[] };
}

const isSeverity = (value: string): value is Severity => (severities as readonly string[]).includes(value);

// 0 for P1; an unknown priority sorts last.
const urgency = (priority: string) => {
  const index = (ticketPriorities as readonly string[]).indexOf(priority);
  return index < 0 ? ticketPriorities.length : index;
};

/** Whether `policy` covers the alert: enabled, severe enough, and every criterion it sets holds. */
export function policyMatches(policy: PolicyCriteria, subject: MatchSubject): boolean {
  if (!policy.enabled) return false;
  // A severity outside the enum (a row written by a future version) never matches.
  if (!isSeverity(subject.severity) || !isSeverity(policy.minSeverity)) return false;
  if (severityRank(subject.severity) < severityRank(policy.minSeverity)) return false;
  if (policy.ruleId && policy.ruleId !== subject.ruleId) return false;
  if (policy.profileId && policy.profileId !== subject.device.profileId) return false;
  return policy.labels.every((label) => subject.device.labels.includes(label));
}

/**
 * The policy that handles the alert: of the matching ones, the most urgent priority (P1
 * before P2 …), then the first by name. Null when none matches.
 */
export function choosePolicy<P extends PolicyCriteria>(policies: readonly P[], subject: MatchSubject): P | null {
  const matching = policies.filter((policy) => policyMatches(policy, subject));
  matching.sort((a, b) => urgency(a.priority) - urgency(b.priority) || a.name.localeCompare(b.name));
  return matching[0] ?? null;
}
