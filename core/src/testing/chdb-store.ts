import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { openClickHouse } from '../telemetry/clickhouse-client';
import { createClickHouseStore, type ClickHouseTelemetryStore } from '../telemetry/clickhouse-store';

/**
 * A migrated telemetry store on embedded chDB in a temp directory named `prefix…`, database
 * `ump_test`, for one test file. Registers Jest hooks: the store opens in `beforeAll` and
 * closes, with its directory removed, in `afterAll`; call once at the top of a test file.
 * `store` and `admin` throw when read before the hooks ran. `admin` is a second client on the
 * same directory, for checks behind the store's back; it opens on first use.
 */
export function useChdbStore(prefix: string) {
  let dir: string | undefined;
  let store: ClickHouseTelemetryStore | undefined;
  let admin: ClickHouseClient | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    store = createClickHouseStore({ dataDir: dir, database: 'ump_test' });
    await store.migrate();
  });
  afterAll(async () => {
    await admin?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const opened = () => {
    if (!store || !dir) throw new Error('the chDB test store opens in beforeAll');
    return { store, dir };
  };
  return {
    get store(): ClickHouseTelemetryStore {
      return opened().store;
    },
    get admin(): ClickHouseClient {
      admin ??= openClickHouse({ dataDir: opened().dir }).client;
      return admin;
    },
  };
}
