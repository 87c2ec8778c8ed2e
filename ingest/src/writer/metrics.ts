import { Counter, Histogram, type Registry } from 'prom-client';

/** The telemetry writer's metrics; unregistered (counted but never exported) without a registry. */
export function createWriterMetrics(registry?: Registry) {
  const registers = registry ? [registry] : [];
  // A writer restarted in the same process registers again: reuse what is there.
  const counter = (name: string, help: string) => {
    const existing = registry?.getSingleMetric(name);
    return existing instanceof Counter ? existing : new Counter({ name, help, registers });
  };
  const durationName = 'ump_telemetry_writer_batch_duration_seconds';
  const existingDuration = registry?.getSingleMetric(durationName);
  return {
    written: counter('ump_telemetry_writer_written_total', 'Telemetry messages stored by the writer (each once)'),
    deadLettered: counter('ump_telemetry_writer_dead_lettered_total', 'Telemetry messages refused and sent to telemetry.dlq.v1'),
    replayed: counter('ump_telemetry_writer_replayed_total', 'Journal entries re-inserted after a crash or a failed batch'),
    batchDuration:
      existingDuration instanceof Histogram
        ? existingDuration
        : new Histogram({
            name: durationName,
            help: 'Time to handle one bus batch, journal and inserts included',
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            registers,
          }),
  };
}
export type WriterMetrics = ReturnType<typeof createWriterMetrics>;
