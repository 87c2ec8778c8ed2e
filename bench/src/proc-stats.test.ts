import { parseStatCpuTicks, parseStatusRss, summarize } from './proc-stats';

describe('/proc parsing', () => {
  it('reads utime + stime after a command name holding spaces and parentheses', () => {
    const stat = '4242 (node (tsx) x) S 1 4242 4242 0 -1 4194304 5000 0 0 0 1234 567 0 0 20 0 11 0 100 0 0';
    expect(parseStatCpuTicks(stat)).toBe(1234 + 567);
  });

  it('reads VmRSS in bytes', () => {
    expect(parseStatusRss('Name:\tnode\nVmRSS:\t  204800 kB\nThreads:\t11\n')).toBe(204_800 * 1024);
    expect(() => parseStatusRss('Name:\tnode\n')).toThrow('VmRSS');
  });
});

describe('summarize', () => {
  it('averages and peaks the samples inside the window', () => {
    const samples = [0, 1, 2, 3].map((i) => ({ at: i * 1000, cpuPercent: 50 * i, rssBytes: 100 * (i + 1) }));
    expect(summarize(samples, 1000, 2000)).toEqual({ samples: 2, avgCpuPercent: 75, maxCpuPercent: 100, avgRssBytes: 250, maxRssBytes: 300 });
    expect(summarize([], 0, 1)).toEqual({ samples: 0, avgCpuPercent: 0, maxCpuPercent: 0, avgRssBytes: 0, maxRssBytes: 0 });
  });
});
