import { LatencyHistogram } from '@ump/ingest/src/simulator';
import { escapeXml, formatMs, histogramSvg } from './svg';

/**
 * A small XML well-formedness check (no parser among the dependencies): every tag closes in
 * order, attributes are quoted, and text holds no bare `<` or `&`. Returns the element names.
 */
function assertWellFormed(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = token.exec(xml))) {
    consumed = token.lastIndex;
    const [, closing, name, , selfClosing, text] = match;
    if (text !== undefined) {
      expect(text).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
      continue;
    }
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) stack.push(name!);
    if (!closing) names.push(name!);
  }
  expect(consumed).toBe(xml.length); // anything the grammar above could not read is malformed
  expect(stack).toEqual([]);
  return names;
}

function latencies(): LatencyHistogram {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 1_000; i++) h.record(0.2 + (i % 50) / 10 + (i % 97 === 0 ? 40 : 0));
  return h;
}

describe('histogramSvg', () => {
  const h = latencies();
  const s = h.summary();
  const svg = histogramSvg(
    h.buckets(),
    [
      { label: 'p50', value: s.p50 },
      { label: 'p95', value: s.p95 },
      { label: 'p99', value: s.p99 },
    ],
    { title: 'Accept latency <MQTT> & friends' },
  );

  it('is a well-formed standalone SVG document', () => {
    const names = assertWellFormed(svg);
    expect(names[0]).toBe('svg');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });

  it('marks p50, p95 and p99 with labelled lines', () => {
    for (const [label, value] of [['p50', s.p50], ['p95', s.p95], ['p99', s.p99]] as const) {
      expect(svg).toContain(`>${label} ${escapeXml(formatMs(value))}</text>`);
    }
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(3);
  });

  it('draws one bar per non-empty bucket, on a log axis with decade ticks', () => {
    const bars = svg.match(/<rect x=/g) ?? [];
    expect(bars).toHaveLength(h.buckets().filter((b) => b.count > 0).length);
    for (const tick of ['100 µs', '1 ms', '10 ms', '100 ms']) expect(svg).toContain(`>${tick}</text>`);
  });

  it('escapes the title', () => {
    expect(svg).toContain('Accept latency &lt;MQTT&gt; &amp; friends');
  });

  it('says "no data" for an empty histogram, still well-formed', () => {
    const empty = histogramSvg([], [], { title: 'nothing' });
    assertWellFormed(empty);
    expect(empty).toContain('>no data</text>');
  });
});

describe('formatMs', () => {
  it.each([
    [0.01, '10 µs'],
    [0.1, '100 µs'],
    [0.25, '250 µs'],
    [1, '1 ms'],
    [12.34, '12.3 ms'],
    [100, '100 ms'],
    [1_500, '1.5 s'],
  ])('%p → %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});
