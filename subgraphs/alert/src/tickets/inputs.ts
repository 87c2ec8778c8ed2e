import { fields, severities, ticketPriorities, ticketStatuses } from '@ump/core';
import { z } from 'zod';

const labels = z.array(fields.label).max(20, 'at most 20 labels').transform((list) => [...new Set(list)]);
const slaMinutes = z.number().int('must be whole minutes').min(1, 'must be at least 1 minute').max(90 * 24 * 60, 'must be at most 90 days');
const title = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const description = z.string().trim().max(10_000, 'must be at most 10000 characters');

export const policyInput = z.object({
  name: fields.name,
  minSeverity: z.enum(severities).nullish(),
  ruleId: fields.id.nullish(),
  profileId: fields.id.nullish(),
  labels: labels.nullish(),
  priority: z.enum(ticketPriorities),
  slaMinutes,
  autoResolve: z.boolean().nullish(),
  assigneeId: fields.id.nullish(),
  enabled: z.boolean().nullish(),
});

// null clears the optional references; null for the rest means "leave as is", as absence does.
export const updatePolicyInput = z.object({
  name: fields.name.nullish(),
  minSeverity: z.enum(severities).nullish(),
  ruleId: fields.id.nullable().optional(),
  profileId: fields.id.nullable().optional(),
  labels: labels.nullish(),
  priority: z.enum(ticketPriorities).nullish(),
  slaMinutes: slaMinutes.nullish(),
  autoResolve: z.boolean().nullish(),
  assigneeId: fields.id.nullable().optional(),
  enabled: z.boolean().nullish(),
});

export const createTicketInput = z.object({
  title,
  description: description.nullish(),
  priority: z.enum(ticketPriorities).nullish(),
  assigneeId: fields.id.nullish(),
  alertIds: z.array(fields.id).max(100, 'at most 100 alerts').nullish(),
});

export const updateTicketInput = z.object({
  status: z.enum(ticketStatuses).nullish(),
  priority: z.enum(ticketPriorities).nullish(),
  assigneeId: fields.id.nullable().optional(),
  title: title.nullish(),
  description: description.nullable().optional(),
});

export const ticketFilter = z.object({
  status: z.array(z.enum(ticketStatuses)).nullish(),
  priority: z.enum(ticketPriorities).nullish(),
  assigneeId: fields.id.nullish(),
  breached: z.boolean().nullish(),
});

export const commentBody = z.string().trim().min(1, 'must not be empty').max(10_000, 'must be at most 10000 characters');
