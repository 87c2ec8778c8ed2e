import type { HistogramBucket } from '@ump/ingest/src/simulator';

/** A vertical marker, e.g. `{ label: 'p95', value: 4.2 }`. */
export interface SvgMark {
  label: string;
  value: number;
  color?: string;
}

/** Options of `histogramSvg`. */
export interface HistogramSvgOptions {
  title: string;
  width?: number;
  height?: number;
}

const MARK_COLORS = ['#2e7d32', '#ef6c00', '#c62828', '#6a1b9a'];
const M = { left: 64, right: 24, top: 72, bottom: 48 };

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** `0.25 ms`, `12 ms`, `1.5 s`: latency labels for axes and marks. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${trim(ms / 1000)} s`;
  if (ms >= 1) return `${trim(ms)} ms`;
  return `${trim(ms * 1000)} µs`;
}

// Three significant digits at most, without trailing zeros after the point (100 stays 100).
const trim = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)).replace(/\.(\d*?)0+$/, '.$1').replace(/\.$/, '');

/**
 * A standalone SVG bar chart of a latency histogram: log-scaled latency buckets on x (ticks
 * at each power of ten), counts on y, and each mark (p50, p95, p99…) as a labelled dashed
 * line. Hand-written markup, no dependencies; an empty histogram draws "no data".
 */
export function histogramSvg(buckets: HistogramBucket[], marks: SvgMark[], opts: HistogramSvgOptions): string {
  const width = opts.width ?? 800;
  const height = opts.height ?? 360;
  const plotW = width - M.left - M.right;
  const plotH = height - M.top - M.bottom;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(opts.title)}</text>`,
  ];
  if (buckets.length === 0) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle">no data</text>`, '</svg>');
    return parts.join('\n');
  }

  const lo = Math.log10(buckets[0]!.lo);
  const hi = Math.log10(buckets[buckets.length - 1]!.hi);
  const x = (v: number) => M.left + ((Math.log10(Math.min(Math.max(v, 10 ** lo), 10 ** hi)) - lo) / (hi - lo)) * plotW;
  const maxCount = Math.max(1, ...buckets.map((b) => b.count));
  const y = (count: number) => M.top + plotH - (count / maxCount) * plotH;
  const r = (n: number) => n.toFixed(1);

  // Axes and grid: a tick per power of ten on x; 0, ½ and the maximum on y.
  parts.push(`<line x1="${M.left}" y1="${M.top + plotH}" x2="${M.left + plotW}" y2="${M.top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + plotH}" stroke="#333"/>`);
  for (let d = Math.ceil(lo - 1e-9); d <= Math.floor(hi + 1e-9); d++) {
    const px = r(x(10 ** d));
    parts.push(`<line x1="${px}" y1="${M.top}" x2="${px}" y2="${M.top + plotH + 4}" stroke="#ddd"/>`);
    parts.push(`<text x="${px}" y="${M.top + plotH + 18}" text-anchor="middle">${escapeXml(formatMs(10 ** d))}</text>`);
  }
  for (const count of [0, Math.round(maxCount / 2), maxCount]) {
    parts.push(`<text x="${M.left - 6}" y="${r(y(count) + 4)}" text-anchor="end">${count.toLocaleString('en-US')}</text>`);
  }
  parts.push(`<text x="${M.left + plotW / 2}" y="${height - 8}" text-anchor="middle">latency (log scale)</text>`);
  parts.push(`<text x="14" y="${M.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 14 ${M.top + plotH / 2})">messages</text>`);

  for (const b of buckets) {
    if (b.count === 0) continue;
    const x0 = x(b.lo);
    const w = Math.max(1, x(b.hi) - x0 - 1);
    parts.push(`<rect x="${r(x0)}" y="${r(y(b.count))}" width="${r(w)}" height="${r(M.top + plotH - y(b.count))}" fill="#4a78b5"/>`);
  }

  marks.forEach((mark, i) => {
    const color = mark.color ?? MARK_COLORS[i % MARK_COLORS.length]!;
    const px = r(x(mark.value));
    // Labels stack in rows above the plot so close percentiles stay readable.
    const labelY = M.top - 6 - (marks.length - 1 - i) * 13;
    parts.push(`<line x1="${px}" y1="${M.top}" x2="${px}" y2="${M.top + plotH}" stroke="${color}" stroke-width="2" stroke-dasharray="5,3"/>`);
    parts.push(`<text x="${px}" y="${labelY}" fill="${color}" text-anchor="middle">${escapeXml(`${mark.label} ${formatMs(mark.value)}`)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
