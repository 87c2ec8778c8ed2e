import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** One reading of a process. */
export interface ProcSample {
  /** Milliseconds on the bench's clock (performance.now). */
  at: number;
  /** CPU time used since the previous reading, as % of one core (200 = two cores busy). */
  cpuPercent: number;
  rssBytes: number;
}

/** CPU and memory of one process over a window of samples. */
export interface ProcSummary {
  samples: number;
  avgCpuPercent: number;
  maxCpuPercent: number;
  avgRssBytes: number;
  maxRssBytes: number;
}

/** Reads cumulative CPU time (ms) and RSS (bytes) of a process. */
export type ProcReader = () => Promise<{ cpuMs: number; rssBytes: number }>;

/**
 * A Linux process read from /proc: utime + stime from `/proc/<pid>/stat` (all its threads;
 * not its children) and VmRSS from `/proc/<pid>/status`. Rejects once the process is gone.
 */
export function procReader(pid: number): ProcReader {
  const ticksPerSecond = clockTicks();
  return async () => {
    const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/status`, 'utf8')]);
    return { cpuMs: parseStatCpuTicks(stat) * (1000 / ticksPerSecond), rssBytes: parseStatusRss(status) };
  };
}

/** The bench's own process, through Node's counters. */
export const selfReader: ProcReader = async () => {
  const { user, system } = process.cpuUsage();
  return { cpuMs: (user + system) / 1000, rssBytes: process.memoryUsage.rss() };
};

/**
 * utime + stime in clock ticks from a `/proc/<pid>/stat` line. The command name in
 * parentheses may itself hold spaces and parentheses, so fields are counted after its last ')'.
 */
export function parseStatCpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name, field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unreadable /proc stat line: ${stat.slice(0, 80)}`);
  return utime + stime;
}

/** VmRSS in bytes from `/proc/<pid>/status`. */
export function parseStatusRss(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error('no VmRSS in /proc status');
  return Number(match[1]) * 1024;
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100; // what every mainstream Linux kernel is built with
  }
}

/**
 * Samples a process every `intervalMs` (default 1,000) until `stop()`, which resolves with
 * every sample. A process that has exited simply stops yielding samples.
 */
export function sampleProcess(read: ProcReader, intervalMs = 1_000) {
  const samples: ProcSample[] = [];
  let previous: { at: number; cpuMs: number } | undefined;
  const take = async () => {
    try {
      const { cpuMs, rssBytes } = await read();
      const at = performance.now();
      if (previous && at > previous.at) samples.push({ at, cpuPercent: ((cpuMs - previous.cpuMs) / (at - previous.at)) * 100, rssBytes });
      previous = { at, cpuMs };
    } catch {
      // The process is gone; the samples so far stand.
    }
  };
  void take();
  const timer = setInterval(() => void take(), intervalMs);
  return {
    samples,
    async stop(): Promise<ProcSample[]> {
      clearInterval(timer);
      await take();
      return samples;
    },
  };
}

/** Averages and peaks of the samples taken in [from, to] (bench clock, ms). */
export function summarize(samples: ProcSample[], from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): ProcSummary {
  const inWindow = samples.filter((s) => s.at >= from && s.at <= to);
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    samples: inWindow.length,
    avgCpuPercent: avg(inWindow.map((s) => s.cpuPercent)),
    maxCpuPercent: Math.max(0, ...inWindow.map((s) => s.cpuPercent)),
    avgRssBytes: avg(inWindow.map((s) => s.rssBytes)),
    maxRssBytes: Math.max(0, ...inWindow.map((s) => s.rssBytes)),
  };
}
