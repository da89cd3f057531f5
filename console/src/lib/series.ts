// Turning the monitor's samples into chart series: pure, so Vitest checks
// the arithmetic.

export interface SampleLike {
  node_id: string;
  at_ms: number;
  cpu_pct?: number | null;
  rss_bytes?: number | null;
  height?: number | null;
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

/** An SVG polyline's points for `series` in a width × height box. */
export function polyline(series: Point[], width: number, height: number, xs: [number, number], maxY: number): string {
  const [x0, x1] = xs;
  const sx = (x: number) => ((x - x0) / Math.max(1, x1 - x0)) * width;
  const sy = (y: number) => height - (y / Math.max(maxY, 1e-9)) * height;
  return series.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
}
