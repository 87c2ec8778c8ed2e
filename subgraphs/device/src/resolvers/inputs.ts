import { fields } from '@ump/core';
import { z } from 'zod';

const MAX_ATTRIBUTES_BYTES = 64 * 1024;

export const labels = z.array(fields.label).max(50, 'at most 50 labels').transform((list) => [...new Set(list)]);

/** A JSON object of at most 64 KiB with short keys. */
export const attributes = z
  .record(z.string().min(1).max(100, 'attribute names are at most 100 characters'), z.unknown())
  .refine((value) => JSON.stringify(value).length <= MAX_ATTRIBUTES_BYTES, 'must be at most 64 KiB of JSON');

export const deviceFilter = z.object({
  search: z.string().trim().max(200, 'must be at most 200 characters').nullish(),
  labels: labels.nullish(),
  profileId: fields.id.nullish(),
});

export const createDeviceInput = z.object({
  name: fields.name,
  profileId: fields.id.nullish(),
  labels: labels.nullish(),
  attributes: attributes.nullish(),
});

export const updateDeviceInput = z.object({
  name: fields.name.optional(),
  profileId: fields.id.nullable().optional(),
  labels: labels.optional(),
});

const timeout = z.number().int().min(10, 'must be at least 10 seconds').max(30 * 86_400, 'must be at most 30 days');

export const profileInput = z.object({
  name: fields.name,
  description: fields.description.nullish(),
  inactivityTimeoutSeconds: timeout.optional(),
});

export const updateProfileInput = z.object({
  name: fields.name.optional(),
  description: fields.description.nullable().optional(),
  inactivityTimeoutSeconds: timeout.optional(),
});
