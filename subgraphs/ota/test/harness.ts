// One OTA subgraph over an in-memory database and a temporary artifact folder, with a
// recording stand-in for the rollout engine; operations run through the signed-identity
// context as a given role of a seeded tenant.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createFileArtifactStore,
  createLogger,
  createMemoryBus,
  createMemoryCache,
  createMetrics,
  signIdentity,
  type ArtifactStore,
  type Role,
} from '@ump/core';
import type { PrismaClient } from '@ump/db';
import { createEmbeddedTestDatabase, type EmbeddedTestDatabase } from '@ump/db/src/testing';
import type { ActionInput, RolloutActions } from '../src/engine/types';
import type { OtaDeps } from '../src/context';
import { createOtaSubgraph } from '../src/subgraph';
import type { Seed } from './fixture';

export const USER = '00000000-0000-7000-8000-000000000001';

export interface EngineCall {
  action: keyof RolloutActions;
  input: ActionInput;
}

/**
 * Records every action; `start` also moves the rollout to RUNNING, so that a test can see
 * the mutation return the rollout as re-read after the engine ran.
 */
export function recordingEngine(prisma: () => PrismaClient) {
  const calls: EngineCall[] = [];
  const record = (action: keyof RolloutActions) => async (input: ActionInput) => {
    calls.push({ action, input });
    if (action === 'start') await prisma().rollout.update({ where: { id: input.rolloutId }, data: { state: 'RUNNING', startedAt: new Date() } });
  };
  const engine: RolloutActions = {
    start: record('start'),
    pause: record('pause'),
    resume: record('resume'),
    approve: record('approve'),
    reject: record('reject'),
    abort: record('abort'),
    rollback: record('rollback'),
    cancel: record('cancel'),
  };
  return { engine, calls };
}

export type GraphQLResult = { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

/** The deps a test file may choose; the rest are the harness's. */
export type HarnessOptions = Partial<Pick<OtaDeps, 'maxUploadBytes' | 'fetchTimeoutMs' | 'allowPrivateNetworks'>>;

/**
 * Call in a describe body: sets the harness up in beforeAll and tears it down in afterAll.
 * `withOptions` gives the same database, artifacts and engine through a second subgraph
 * built with other options (call it once the harness is set up: in a test or a nested
 * beforeAll).
 */
export function useOtaSubgraph(options: HarnessOptions = {}) {
  const secret = randomBytes(32).toString('hex');
  const h = {} as {
    database: EmbeddedTestDatabase;
    prisma: PrismaClient;
    artifacts: ArtifactStore;
    artifactsDir: string;
    calls: EngineCall[];
    engine: RolloutActions;
    subgraph: ReturnType<typeof createOtaSubgraph>;
  };

  const build = (chosen: HarnessOptions) =>
    createOtaSubgraph({
      prisma: h.prisma,
      cache: createMemoryCache(),
      bus: createMemoryBus(),
      logger: createLogger({ name: 'ota', level: 'silent', format: 'json' }),
      artifacts: h.artifacts,
      engine: h.engine,
      ...chosen,
      metrics: createMetrics('ota'),
      internalSecret: secret,
    });

  beforeAll(async () => {
    h.database = await createEmbeddedTestDatabase();
    h.prisma = h.database.db.prisma;
    h.artifactsDir = mkdtempSync(path.join(tmpdir(), 'ump-ota-test-'));
    h.artifacts = createFileArtifactStore(h.artifactsDir);
    const { engine, calls } = recordingEngine(() => h.prisma);
    h.calls = calls;
    h.engine = engine;
    h.subgraph = build(options);
  }, 60_000); // a fresh PGlite with every migration takes a few seconds
  afterAll(async () => {
    await h.database?.drop();
    if (h.artifactsDir) rmSync(h.artifactsDir, { recursive: true, force: true });
  });

  function client(subgraph: () => ReturnType<typeof createOtaSubgraph>) {
    async function call(seed: Seed, role: Role, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult> {
      const header = await signIdentity(secret, { kind: 'user', userId: USER, tenantId: seed.tenant.id, role });
      const contextValue = await subgraph().context({ 'x-ump-identity': header });
      const response = await subgraph().server.executeOperation({ query, variables }, { contextValue });
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return response.body.singleResult as GraphQLResult;
    }
    async function ok(seed: Seed, role: Role, query: string, variables: Record<string, unknown> = {}) {
      const result = await call(seed, role, query, variables);
      expect(result.errors).toBeUndefined();
      return result.data!;
    }
    async function failure(seed: Seed, role: Role, query: string, variables: Record<string, unknown> = {}) {
      const result = await call(seed, role, query, variables);
      expect(result.errors).toHaveLength(1);
      return { ...(result.errors![0]!.extensions as { code: string; field?: string }), message: result.errors![0]!.message };
    }
    return { call, ok, failure };
  }

  function withOptions(chosen: HarnessOptions) {
    const subgraph = build(chosen);
    return client(() => subgraph);
  }
  return Object.assign(h, client(() => h.subgraph), { withOptions });
}
