// The background load of `bench:alerts`, run in its own process so that its thousands of MQTT
// publishes do not delay the subscriber sockets whose arrival times the bench measures.
// Started by alerts.ts over IPC: receives the simulation options, reports when sending has
// begun and, after SIGTERM, the run's counters.
import { runSimulation, type SimulationOptions } from '@ump/ingest/src/simulator';

/** What the background process reports to the bench. */
export type BackgroundMessage =
  | { kind: 'sending' }
  | { kind: 'done'; sent: number; acknowledged: number; failed: number; failures: Record<string, number>; sendMs: number }
  | { kind: 'failed'; error: string };

// After the bench went away there is nobody to tell.
const send = (message: BackgroundMessage) => process.connected && process.send?.(message);

process.once('message', (options: SimulationOptions) => {
  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort());
  // The bench went away (it failed or was killed): stop rather than load the platform for ever.
  process.on('disconnect', () => stop.abort());
  let announced = false;
  runSimulation(options, {
    signal: stop.signal,
    onProgress: (s) => {
      if (s.phase === 'sending' && !announced) {
        announced = true;
        send({ kind: 'sending' });
      }
    },
  }).then(
    (stats) => {
      const { sent, acknowledged, failed, failures, sendMs } = stats;
      send({ kind: 'done', sent, acknowledged, failed, failures, sendMs });
      if (process.connected) process.disconnect();
    },
    (error: unknown) => {
      send({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
      if (process.connected) process.disconnect();
    },
  );
});
