// The migration that gave device_firmware and rollout_devices their foreign keys to firmware
// must apply to a database holding dangling ids (left by the race those keys now close).
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { migrate } from './migrate';
import { defaultMigrationsDir } from './migrations-folder';
import { pgliteExecutor } from './sql-executor';

jest.setTimeout(60_000);

const MIGRATION = '20261130000000_ota_firmware_references';
const TENANT = '00000000-0000-7000-8000-000000000001';
const KEPT = '00000000-0000-7000-8000-0000000000f1';
const GONE = '00000000-0000-7000-8000-0000000000f2';
const ROLLOUT = '00000000-0000-7000-8000-0000000000a1';

let db: PGlite;
let dir: string;
beforeEach(async () => {
  db = await PGlite.create();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ump-migrations-'));
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

it('forgets ids of deleted firmware, keeps the others, and then refuses to delete a referenced one', async () => {
  const executor = pgliteExecutor(db);
  // Everything before this migration, then rows as the race could leave them.
  await cp(defaultMigrationsDir, dir, { recursive: true, filter: (source) => !source.includes(MIGRATION) });
  await migrate(executor, { migrationsDir: dir });
  await db.exec(`
    INSERT INTO firmware (id, tenant_id, title, version, size, sha256, storage_key, source)
      VALUES ('${KEPT}', '${TENANT}', 'fw', '1.0.0', 1, 'x', 'k', 'UPLOAD');
    INSERT INTO device_firmware (device_id, tenant_id, current_firmware_id, previous_firmware_id, target_firmware_id, updated_at)
      VALUES ('00000000-0000-7000-8000-0000000000d1', '${TENANT}', '${GONE}', '${KEPT}', '${GONE}', now()),
             ('00000000-0000-7000-8000-0000000000d2', '${TENANT}', '${KEPT}', '${GONE}', NULL, now());
    INSERT INTO rollouts (id, tenant_id, name, firmware_id, spec, state, updated_at)
      VALUES ('${ROLLOUT}', '${TENANT}', 'r', '${KEPT}', '{}', 'SUCCEEDED', now());
    INSERT INTO rollout_devices (id, rollout_id, tenant_id, device_id, stage_index, status, previous_firmware_id, command_id, updated_at)
      VALUES ('00000000-0000-7000-8000-0000000000b1', '${ROLLOUT}', '${TENANT}', '00000000-0000-7000-8000-0000000000d1', 0, 'UPDATED', '${GONE}', 'c1', now()),
             ('00000000-0000-7000-8000-0000000000b2', '${ROLLOUT}', '${TENANT}', '00000000-0000-7000-8000-0000000000d2', 0, 'UPDATED', '${KEPT}', 'c2', now());
  `);

  await cp(path.join(defaultMigrationsDir, MIGRATION), path.join(dir, MIGRATION), { recursive: true });
  expect(await migrate(executor, { migrationsDir: dir })).toEqual([MIGRATION]);

  const devices = await executor.query('SELECT current_firmware_id, previous_firmware_id, target_firmware_id FROM device_firmware ORDER BY device_id');
  expect(devices).toEqual([
    { current_firmware_id: null, previous_firmware_id: KEPT, target_firmware_id: null },
    { current_firmware_id: KEPT, previous_firmware_id: null, target_firmware_id: null },
  ]);
  const assignments = await executor.query('SELECT previous_firmware_id FROM rollout_devices ORDER BY id');
  expect(assignments).toEqual([{ previous_firmware_id: null }, { previous_firmware_id: KEPT }]);
  await executor.exec(`DELETE FROM rollouts WHERE id = '${ROLLOUT}'`);
  await expect(executor.exec(`DELETE FROM firmware WHERE id = '${KEPT}'`)).rejects.toThrow(/device_firmware_(current|previous)_firmware_id_fkey/);
  await expect(executor.exec(`UPDATE device_firmware SET target_firmware_id = '${GONE}'`)).rejects.toThrow(/device_firmware_target_firmware_id_fkey/);
});
