// `npm run simulate -- --devices 100 --rate 1 --protocol mqtt`: see `simulatorUsage`.
import { parseSimulatorArgs, simulatorUsage, UsageError } from './args';
import { DEFAULT_FIRMWARE } from './ota/firmware';
import { createProgressPrinter, formatSummary } from './progress';
import { runSimulation } from './run';

async function main(): Promise<number> {
  let options;
  try {
    options = parseSimulatorArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${simulatorUsage}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(simulatorUsage);
    return 0;
  }

  const stop = new AbortController();
  const onSignal = () => {
    // The first Ctrl+C stops gracefully (in-flight messages settle, a summary prints); a second one does not wait.
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    process.stderr.write('\nStopping: waiting for messages in flight (Ctrl+C again to quit at once)…\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const printer = createProgressPrinter(process.stdout);
  const rate = `${options.rate} msg/s per device (${(options.devices * options.rate).toLocaleString('en-US')} msg/s in all)`;
  process.stdout.write(`Simulating ${options.devices} ${options.protocol.toUpperCase()} devices in tenant "${options.tenant}" at ${rate}\n`);
  const firmware = options.firmware ?? DEFAULT_FIRMWARE;
  if (options.ota) {
    const o = options.ota;
    const poll = options.protocol === 'http' ? `, polling every ${o.pollSeconds ?? 5} s` : '';
    process.stdout.write(`OTA on: devices start on ${firmware.title}@${firmware.version}${poll}, install failure rate ${o.failureRate ?? 0} (seed ${o.seed ?? 0})\n`);
  }
  for (const b of options.behaviours ?? []) process.stdout.write(`Devices running ${b.version} send ${b.key} shifted by ${b.delta > 0 ? '+' : ''}${b.delta}\n`);
  const stats = await runSimulation(options, { signal: stop.signal, onProgress: (s) => printer.update(s) });
  printer.end();
  process.stdout.write(`${formatSummary(stats)}\n`);
  return stats.failed > 0 || stats.connected < stats.devices ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`\nSimulation failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
