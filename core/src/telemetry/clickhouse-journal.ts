import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { telemetryValue } from '../events/telemetry';
import { insertJsonRows, int64, selectRows } from './clickhouse-client';
import { insertSql } from './clickhouse-insert';
import type { TelemetryTables } from './clickhouse-schema';
import type { TelemetryPoint } from './store';
import type { JournalEntry, WriteJournal } from './write-journal';

/** A point as the journal keeps it: JSON with epoch milliseconds. */
const storedPoint = z.object({
  messageId: z.string(),
  tenantId: z.string(),
  deviceId: z.string(),
  ts: z.number().int(),
  values: z.record(z.string(), telemetryValue),
  retentionDays: z.number().int().optional(),
  receivedAt: z.number().int().optional(),
});

function encodePoints(points: readonly TelemetryPoint[]): string {
  return JSON.stringify(
    points.map((p) => ({ ...p, ts: p.ts.getTime(), receivedAt: p.receivedAt?.getTime() })),
  );
}

function decodePoints(json: string): TelemetryPoint[] {
  if (json === '') return [];
  return z
    .array(storedPoint)
    .parse(JSON.parse(json))
    .map(({ ts, receivedAt, ...rest }) => ({ ...rest, ts: new Date(ts), ...(receivedAt === undefined ? {} : { receivedAt: new Date(receivedAt) }) }));
}

const entryRow = z.object({
  // Offsets travel as decimal strings: UInt64 may exceed a JS number. Aliases differ from
  // column names because ClickHouse resolves aliases in WHERE too.
  first_s: z.string().regex(/^\d+$/),
  last_s: z.string().regex(/^\d+$/),
  entry_token: z.string(),
  entry_acked: int64,
  entry_points: z.string(),
});

/**
 * The {@link WriteJournal} in ClickHouse (`telemetry_write_journal`): an intent row with the
 * points, then an ack row. Reads fold both per entry, so they need no FINAL or merges.
 */
export function createClickHouseJournal(client: ClickHouseClient, tables: TelemetryTables): WriteJournal {
  const row = (consumer: string, entry: Omit<JournalEntry, 'acked' | 'points'>, acked: 0 | 1, points: string) => ({
    consumer,
    first_offset: entry.firstOffset.toString(),
    last_offset: entry.lastOffset.toString(),
    token: entry.token,
    acked,
    points,
  });
  return {
    async overlapping(consumer, from, to) {
      const rows = await selectRows(
        client,
        `/* telemetry.journal.overlapping */
SELECT toString(first_offset) AS first_s, toString(max(last_offset)) AS last_s, any(token) AS entry_token,
  max(acked) AS entry_acked, if(entry_acked = 1, '', argMin(points, acked)) AS entry_points
FROM ${tables.journal}
WHERE consumer = {consumer:String} AND last_offset >= {from:UInt64} AND first_offset <= {to:UInt64}
GROUP BY first_offset
ORDER BY first_offset`,
        { consumer, from: from.toString(), to: to.toString() },
        entryRow,
      );
      return rows.map((r) => ({
        firstOffset: BigInt(r.first_s),
        lastOffset: BigInt(r.last_s),
        token: r.entry_token,
        acked: r.entry_acked === 1,
        points: r.entry_acked === 1 ? [] : decodePoints(r.entry_points),
      }));
    },
    async record(consumer, entry) {
      // Deduplicated like the points: a retried record leaves one row.
      const sql = insertSql('telemetry.journal.record', tables.journal, `record:${consumer}:${entry.token}`);
      await insertJsonRows(client, sql, [row(consumer, entry, 0, encodePoints(entry.points))]);
    },
    async ack(consumer, entry) {
      const sql = insertSql('telemetry.journal.ack', tables.journal, `ack:${consumer}:${entry.token}`);
      await insertJsonRows(client, sql, [row(consumer, entry, 1, '')]);
    },
  };
}
