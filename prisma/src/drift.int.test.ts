import pg from 'pg';
import { describeWith } from '@ump/core/src/testing/services';
import { driftContract } from './drift.contract';
import { pgExecutor } from './sql-executor';
import { createTestDatabase } from './testing';

describeWith('postgres')('drift on Postgres', () => {
  driftContract('Postgres', async () => {
    const test = await createTestDatabase();
    const client = new pg.Client({ connectionString: test.url });
    await client.connect();
    return {
      executor: pgExecutor(client),
      async close() {
        await client.end();
        await test.drop();
      },
    };
  });
});
