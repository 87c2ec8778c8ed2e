import {
  ArtifactTooLargeError,
  badInput,
  ChecksumMismatchError,
  notFound,
  requireTenant,
  uuidv7,
  validate,
  validId,
  type Caller,
} from '@ump/core';
import type { z } from 'zod';
import { base64Size, chunksOf, decodeBase64, download, DownloadError } from '../../artifacts';
import type { OtaContext } from '../../context';
import { firmwareStore, inUse, neededByDevices, versionTaken, type FirmwareSource } from '../../data/firmware';
import { targetStore } from '../../data/targets';
import { firmwareFields, firmwareUrl } from '../inputs';
import { actorOf } from '../types';

/** Default of OtaDeps.maxUploadBytes: 64 MiB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
/** Default of OtaDeps.fetchTimeoutMs. */
export const DEFAULT_FETCH_TIMEOUT_MS = 60_000;

type FirmwareFields = z.infer<typeof firmwareFields>;

interface FirmwareInput {
  title?: string | null;
  version?: string | null;
  profileIds?: string[] | null;
  releaseNotes?: string | null;
  sha256?: string | null;
}

const fieldsOf = (input: FirmwareInput) =>
  validate(
    firmwareFields,
    { title: input.title, version: input.version, profileIds: input.profileIds, releaseNotes: input.releaseNotes, sha256: input.sha256 },
    'input',
  );

/**
 * What must hold before any byte is stored: every profile is the caller's tenant's
 * (BAD_USER_INPUT on `input.profileIds.<i>`) and the version is new (CONFLICT). The unique
 * key catches a concurrent duplicate later.
 */
async function checkNew(ctx: OtaContext, fields: FirmwareFields) {
  const known = await targetStore.profileIds(ctx.db, fields.profileIds);
  const missing = fields.profileIds.findIndex((id) => !known.has(id));
  if (missing >= 0) throw badInput(`input.profileIds.${missing}`, 'no such device profile');
  if (await firmwareStore.exists(ctx.db, fields.title, fields.version)) throw versionTaken(fields.title, fields.version);
}

/** Storage failures the caller can fix, as errors on the input field that caused them. */
function asInputError(error: unknown, contentField: string): unknown {
  if (error instanceof ChecksumMismatchError) {
    return badInput('input.sha256', `does not match the content: expected ${error.expected}, the bytes hash to ${error.actual}`);
  }
  if (error instanceof ArtifactTooLargeError) return badInput(contentField, `the firmware is larger than the limit of ${error.maxBytes} bytes`);
  if (error instanceof DownloadError) return badInput('input.url', error.reason);
  return error;
}

async function discard(ctx: OtaContext, key: string) {
  try {
    await ctx.deps.artifacts.remove(key);
  } catch (error) {
    ctx.deps.logger.error({ err: error, key }, 'could not remove the artifact of a firmware that was not created');
  }
}

/**
 * Streams the artifact into the store under `<tenantId>/<firmwareId>` (checked against the
 * declared sha256 and the size limit; nothing is kept on failure), then writes the row. If
 * the row cannot be written (a concurrent duplicate: CONFLICT), the artifact is removed.
 */
async function createFirmware(
  ctx: OtaContext,
  who: { tenantId: string; caller: Caller },
  fields: FirmwareFields,
  source: { kind: FirmwareSource; url: string | null; contentField: string; body: (maxBytes: number) => Promise<AsyncIterable<Uint8Array>> },
) {
  const maxBytes = ctx.deps.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const id = uuidv7();
  const storageKey = `${who.tenantId}/${id}`;
  let stored;
  try {
    stored = await ctx.deps.artifacts.put(storageKey, await source.body(maxBytes), { expectedSha256: fields.sha256, maxBytes });
  } catch (error) {
    throw asInputError(error, source.contentField);
  }
  if (stored.size === 0) {
    await discard(ctx, storageKey);
    throw badInput(source.contentField, 'the firmware is empty');
  }
  try {
    return await firmwareStore.create(
      ctx.db,
      who.tenantId,
      {
        id,
        title: fields.title,
        version: fields.version,
        profileIds: fields.profileIds,
        size: stored.size,
        sha256: stored.sha256,
        releaseNotes: fields.releaseNotes ?? null,
        storageKey,
        source: source.kind,
        sourceUrl: source.url,
      },
      actorOf(who.caller),
    );
  } catch (error) {
    await discard(ctx, storageKey);
    throw error;
  }
}

/** OPERATOR. The inline artifact must be strict base64 of at most maxUploadBytes bytes. */
export async function uploadFirmware(_: unknown, args: { input: FirmwareInput & { contentBase64?: string | null } }, ctx: OtaContext) {
  const who = requireTenant(ctx.identity, 'OPERATOR', 'upload firmware');
  const input = args.input ?? {};
  const fields = fieldsOf(input);
  const text = input.contentBase64 ?? '';
  const maxBytes = ctx.deps.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  // Checked before decoding, so an oversized upload costs no second copy in memory.
  if (base64Size(text) > maxBytes) throw badInput('input.contentBase64', `the firmware is larger than the limit of ${maxBytes} bytes`);
  const bytes = decodeBase64(text);
  if (!bytes) throw badInput('input.contentBase64', 'is not valid base64 (RFC 4648 alphabet, = padding, no line breaks)');
  if (bytes.length === 0) throw badInput('input.contentBase64', 'the firmware is empty');
  await checkNew(ctx, fields);
  return createFirmware(ctx, who, fields, { kind: 'UPLOAD', url: null, contentField: 'input.contentBase64', body: async () => chunksOf(bytes) });
}

/**
 * OPERATOR. Downloads from an http(s) URL within fetchTimeoutMs, following at most 5
 * redirects. Only public addresses are contacted unless allowPrivateNetworks (link-local
 * never): any other is BAD_USER_INPUT on `input.url`, before a byte is sent to it.
 */
export async function createFirmwareFromUrl(_: unknown, args: { input: FirmwareInput & { url?: string | null } }, ctx: OtaContext) {
  const who = requireTenant(ctx.identity, 'OPERATOR', 'create firmware');
  const input = args.input ?? {};
  const fields = fieldsOf(input);
  const url = validate(firmwareUrl, input.url, 'input.url');
  await checkNew(ctx, fields);
  const timeoutMs = ctx.deps.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  return createFirmware(ctx, who, fields, {
    kind: 'URL',
    url: url.toString(),
    contentField: 'input.url',
    body: (maxBytes) => download(url, { timeoutMs, maxBytes, allowPrivateNetworks: ctx.deps.allowPrivateNetworks ?? false }),
  });
}

/**
 * OPERATOR. CONFLICT while a rollout refers to the firmware, and while a device runs it, ran
 * it before its last update, is assigned it or would roll back to it (see
 * firmwareStore.deviceReferences); the artifact goes after the row.
 */
export async function deleteFirmware(_: unknown, args: { id: string }, ctx: OtaContext) {
  requireTenant(ctx.identity, 'OPERATOR', 'delete firmware');
  const id = validId(args.id);
  const firmware = await ctx.loaders.firmware.load(id);
  if (!firmware) throw notFound('Firmware', 'id');
  if ((await ctx.loaders.rolloutCount.load(id)) > 0) throw inUse();
  const needed = neededByDevices(await firmwareStore.deviceReferences(ctx.db, id));
  if (needed) throw needed;
  if (!(await firmwareStore.remove(ctx.db, id))) throw notFound('Firmware', 'id');
  try {
    await ctx.deps.artifacts.remove(firmware.storageKey);
  } catch (error) {
    // The row is gone, so nothing serves these bytes any more: an orphan file, not a failure.
    ctx.deps.logger.warn({ err: error, key: firmware.storageKey }, 'could not remove a deleted firmware’s artifact');
  }
  return id;
}
