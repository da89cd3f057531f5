// A small line chart in SVG, one line per series, with its title, unit
// and latest values as text (the figures are readable without the lines).
import { polyline, type Point } from "./lib/series";

const COLORS = ["#2a6f97", "#e76f51", "#2a9d8f", "#8e6c8a", "#e9c46a", "#264653", "#f4a261"];

export function Chart({
  title,
  unit,
  series,
  empty = "no samples yet (the monitor samples every few seconds).",
}: {
  title: string;
  unit: string;
  series: Map<string, Point[]>;
  /** What an empty chart says. */
  empty?: string;
}) {
  const all = [...series.values()].flat();
  if (all.length === 0) {
    return (
      <figure className="chart">
        <figcaption>
          {title}: {empty}
        </figcaption>
      </figure>
    );
  }
  const xs: [number, number] = [Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x))];
  const maxY = Math.max(...all.map((p) => p.y)) * 1.1;
  const latest = [...series.entries()].map(([name, s]) => `${name} ${s[s.length - 1].y.toFixed(1)} ${unit}`);
  return (
    <figure className="chart">
      <figcaption>
        {title} — latest: {latest.join(", ")}
      </figcaption>
      <svg viewBox="0 0 300 80" role="img" aria-label={title} preserveAspectRatio="none">
        {[...series.entries()].map(([name, s], i) => {
          // The latest point as a dot too: a series of one point is no line.
          const [x, y] = polyline(s.slice(-1), 300, 80, xs, maxY).split(",").map(Number);
          return (
            <g key={name} stroke={COLORS[i % COLORS.length]} fill={COLORS[i % COLORS.length]}>
              <polyline points={polyline(s, 300, 80, xs, maxY)} fill="none" strokeWidth="1.5" />
              <circle cx={x} cy={y} r="2" />
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
