// Turning the monitor's samples into chart series: pure, so Vitest checks
// the arithmetic.

export interface SampleLike {
  node_id: string;
  at_ms: number;
  cpu_pct?: number | null;
  rss_bytes?: number | null;
  height?: number | null;
  tx_committed?: number | null;
  latency_sum_us?: number | null;
  latency_count?: number | null;
}

export interface Point {
  x: number;
  y: number;
}

/** One series per node of `pick(sample)`, samples without a value skipped. */
export function byNode(samples: SampleLike[], pick: (s: SampleLike) => number | null | undefined): Map<string, Point[]> {
  const out = new Map<string, Point[]>();
  for (const s of samples) {
    const y = pick(s);
    if (y == null) continue;
    const series = out.get(s.node_id) ?? [];
    series.push({ x: s.at_ms, y });
    out.set(s.node_id, series);
  }
  return out;
}

/** Blocks per second between consecutive samples of the chain's highest node. */
export function blockRate(samples: SampleLike[]): Point[] {
  const top = new Map<number, number>();
  for (const s of samples) if (s.height != null) top.set(s.at_ms, Math.max(top.get(s.at_ms) ?? 0, s.height));
  const points = [...top.entries()].sort((a, b) => a[0] - b[0]);
  const out: Point[] = [];
  for (let i = 1; i < points.length; i++) {
    const dt = (points[i][0] - points[i - 1][0]) / 1000;
    if (dt > 0) out.push({ x: points[i][0], y: Math.max(0, points[i][1] - points[i - 1][1]) / dt });
  }
  return out;
}

/**
 * Per node, what happened between consecutive samples of its cumulative
 * counters: `between(before, after, seconds)`, or null for no figure. A
 * counter that went down belongs to a restarted process: no figure there.
 */
function perInterval(
  samples: SampleLike[],
  between: (a: SampleLike, b: SampleLike, secs: number) => number | null,
): Map<string, Point[]> {
  const last = new Map<string, SampleLike>();
  const out = new Map<string, Point[]>();
  for (const s of [...samples].sort((a, b) => a.at_ms - b.at_ms)) {
    const before = last.get(s.node_id);
    last.set(s.node_id, s);
    const secs = before ? (s.at_ms - before.at_ms) / 1000 : 0;
    if (!before || secs <= 0) continue;
    const y = between(before, s, secs);
    if (y == null) continue;
    const series = out.get(s.node_id) ?? [];
    series.push({ x: s.at_ms, y });
    out.set(s.node_id, series);
  }
  return out;
}

function grown(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b < a ? null : b - a;
}

/** Transactions committed per second, per node. */
export function txRate(samples: SampleLike[]): Map<string, Point[]> {
  return perInterval(samples, (a, b, secs) => {
    const d = grown(a.tx_committed, b.tx_committed);
    return d == null ? null : d / secs;
  });
}

/**
 * Mean transaction latency (creation to commit on the node) in ms, per
 * node, over each interval that committed something.
 */
export function meanLatency(samples: SampleLike[]): Map<string, Point[]> {
  return perInterval(samples, (a, b) => {
    const sum = grown(a.latency_sum_us, b.latency_sum_us);
    const count = grown(a.latency_count, b.latency_count);
    return sum == null || !count ? null : sum / count / 1000;
  });
}

/** An SVG polyline's points for `series` in a width × height box. */
export function polyline(series: Point[], width: number, height: number, xs: [number, number], maxY: number): string {
  const [x0, x1] = xs;
  const sx = (x: number) => ((x - x0) / Math.max(1, x1 - x0)) * width;
  const sy = (y: number) => height - (y / Math.max(maxY, 1e-9)) * height;
  return series.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
}
