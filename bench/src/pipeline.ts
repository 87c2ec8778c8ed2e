/**
 * The platform's own counts while the devices were sending: what its intake acknowledged
 * and what its writer stored. A device gives up on a PUBACK after 10 s, so above capacity
 * the bench's "accepted" undercounts the intake, and an intake that acknowledges faster
 * than its writer stores hides a growing backlog; these two show both.
 */
export interface PipelineCounts {
  /** Seconds between the two readings. */
  seconds: number;
  acknowledged: number;
  stored: number;
}

/** The two counters in Prometheus text, summed over their labels; a missing one is 0. */
export function parseCounters(text: string): { acknowledged: number; stored: number } {
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return { acknowledged: sum('ump_intake_accepted_messages_total'), stored: sum('ump_telemetry_writer_written_total') };
}

/**
 * Reads them from the platform's `/metrics` (next to the API); rejects on an error or after
 * 30 s (a saturated platform answers late). `at` is halfway through the request, when the
 * counters were most likely read.
 */
export async function readCounters(apiUrl: string): Promise<{ acknowledged: number; stored: number; at: number }> {
  const sent = performance.now();
  const response = await fetch(new URL('/metrics', apiUrl), { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  const text = await response.text();
  return { ...parseCounters(text), at: (sent + performance.now()) / 2 };
}

type Reading = Awaited<ReturnType<typeof readCounters>>;

/** Takes a reading when sending starts and one when it ends; `result()` is their difference. */
export function createPipelineMeter(read: () => Promise<Reading>) {
  // Kept as settled values: a rejected reading must not go unhandled until result().
  const take = () => read().then((reading) => reading, (error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  let first: Promise<Reading | Error> | undefined;
  let last: Promise<Reading | Error> | undefined;
  return {
    sendingStarted() {
      first ??= take();
    },
    sendingEnded() {
      if (first) last ??= take();
    },
    /** The counts, or why there are none. */
    async result(): Promise<PipelineCounts | { unavailable: string }> {
      if (!first || !last) return { unavailable: 'sending never started' };
      const [a, b] = await Promise.all([first, last]);
      const unreadable = (error: Error) => ({ unavailable: `the platform's /metrics could not be read (${error.message})` });
      if (a instanceof Error) return unreadable(a);
      if (b instanceof Error) return unreadable(b);
      return { seconds: (b.at - a.at) / 1000, acknowledged: b.acknowledged - a.acknowledged, stored: b.stored - a.stored };
    },
  };
}
