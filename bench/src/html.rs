//! The report as one self-contained HTML file (no scripts, no external
//! resources): the summary table, bar charts of throughput and latency
//! percentiles per round drawn as inline SVG, and the resource tables.

use crate::report::{Report, Table};
use crate::soak::SoakReport;

const COLOURS: &[&str] = &["#3b6fb6", "#c2571a", "#2e8b57", "#8e44ad", "#b03a48", "#7f8c8d", "#d4a017"];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart: one bar per (label, value), scaled to the
/// largest value.
fn bars(title: &str, unit: &str, rows: &[(String, f64)]) -> String {
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max).max(1e-9);
    let (row_h, label_w, bar_w) = (26.0, 170.0, 460.0);
    let height = row_h * rows.len() as f64 + 30.0;
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" width=\"{}\" height=\"{height}\">",
        escape(title),
        escape(title),
        label_w + bar_w + 90.0
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 10.0 + row_h * i as f64;
        let w = (value / max * bar_w).max(1.0);
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" \
             height=\"18\" fill=\"#3b6fb6\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"13\">{value:.1} {}</text>",
            y + 14.0,
            escape(label),
            label_w + w + 6.0,
            y + 14.0,
            escape(unit)
        ));
    }
    svg.push_str("</svg></figure>");
    svg
}

/// A line chart of series over time (x in seconds), each in its own colour
/// with a legend; the y axis starts at zero so a slope looks as big as it is.
fn lines(title: &str, unit: &str, series: &[(String, Vec<(f64, f64)>)]) -> String {
    let (w, h, left, bottom) = (640.0, 220.0, 60.0, 24.0);
    let points = || series.iter().flat_map(|s| s.1.iter());
    let max_x = points().map(|p| p.0).fold(0.0, f64::max).max(1e-9);
    let max_y = points().map(|p| p.1).fold(0.0, f64::max).max(1e-9) * 1.1;
    let x = |v: f64| left + v / max_x * (w - left - 10.0);
    let y = |v: f64| 10.0 + (1.0 - v / max_y) * (h - bottom - 10.0);
    let legend_h = 18.0 * series.len() as f64;
    let mut svg = format!(
        "<figure><figcaption>{t}</figcaption><svg role=\"img\" aria-label=\"{t}\" width=\"{w}\" height=\"{}\">\
         <line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#889\"/>\
         <line x1=\"{left}\" y1=\"10\" x2=\"{left}\" y2=\"{}\" stroke=\"#889\"/>\
         <text x=\"0\" y=\"18\" font-size=\"12\">{:.0} {u}</text><text x=\"0\" y=\"{}\" font-size=\"12\">0</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{:.0} s</text>",
        h + legend_h,
        h - bottom,
        w - 10.0,
        h - bottom,
        h - bottom,
        max_y,
        h - bottom,
        w - 10.0,
        h - 6.0,
        max_x,
        t = escape(title),
        u = escape(unit),
    );
    for (i, (name, pts)) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let path: Vec<String> = pts.iter().map(|(px, py)| format!("{:.1},{:.1}", x(*px), y(*py))).collect();
        svg.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>\
             <rect x=\"{left}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"13\">{}</text>",
            path.join(" "),
            h + 4.0 + 18.0 * i as f64,
            left + 18.0,
            h + 15.0 + 18.0 * i as f64,
            escape(name)
        ));
    }
    svg.push_str("</svg></figure>");
    svg
}

fn page(title: &str, intro: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{t}</title><style>body{{font:15px \
         system-ui,sans-serif;max-width:1100px;margin:auto;padding:1rem}}table{{border-collapse:collapse;margin:\
         .5rem 0 1.5rem}}th,td{{border:1px solid #ccd;padding:.25rem .5rem;text-align:right}}th:first-child,td:\
         first-child{{text-align:left}}figure{{margin:1rem 0}}figcaption{{font-weight:600}}\
         svg{{max-width:100%;height:auto}}</style></head><body><h1>{t}</h1><p>{intro}</p>",
        t = escape(title),
    )
}

fn table(t: &Table) -> String {
    let head: String = t.header.iter().map(|h| format!("<th scope=\"col\">{}</th>", escape(h))).collect();
    let body: String = t
        .rows
        .iter()
        .map(|r| format!("<tr>{}</tr>", r.iter().map(|c| format!("<td>{}</td>", escape(c))).collect::<String>()))
        .collect();
    format!("<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
}

pub fn render(report: &Report) -> String {
    let mut throughput = Vec::new();
    let mut latency = Vec::new();
    for o in report.rounds.iter().map(|r| &r.outcome) {
        throughput.push((format!("{} (sent {:.0}/s)", o.label, o.send_tps), o.throughput_tps));
        if let Some(l) = &o.latency {
            for (name, v) in [("p50", l.p50_ms), ("p95", l.p95_ms), ("p99", l.p99_ms)] {
                latency.push((format!("{} {name}", o.label), v));
            }
        }
    }
    let mut html = page(
        &format!("weft-bench: {}", report.workload),
        &format!(
            "{}<br>network {}, run {}, {} build",
            escape(&report.description),
            escape(&report.network),
            escape(&report.run),
            report.build
        ),
    );
    html.push_str("<h2>Summary</h2>");
    html.push_str(&table(&report.summary()));
    if let Some(line) = report.ceiling_line() {
        html.push_str(&format!("<p>{}</p>", escape(&line)));
    }
    html.push_str(&bars("Throughput per round", "tx/s", &throughput));
    html.push_str(&bars("Latency percentiles per round", "ms", &latency));
    for r in &report.rounds {
        html.push_str(&format!("<h2>Resources: {}</h2>", escape(&r.outcome.label)));
        html.push_str(&table(&Report::resources(r)));
        if !r.outcome.errors.is_empty() {
            let rows = r.outcome.errors.iter().map(|(cause, n)| vec![cause.clone(), n.to_string()]).collect();
            html.push_str(&table(&Table { header: &["Failure cause", "Count"], rows }));
        }
    }
    html.push_str("<p>Network traffic counts the host's network namespace (loopback is shared).</p></body></html>\n");
    html
}

/// The soak's page: the verdicts, and memory, disk and committed
/// transactions over time.
pub fn soak(report: &SoakReport) -> String {
    let o = &report.outcome;
    let mut html = page(
        "weft-bench soak",
        &format!(
            "network {}, {:.0} s at {} tx/s, {} build: {} committed, {} failed, throughput {:.1} tx/s",
            escape(&report.network),
            o.seconds,
            report.tps,
            report.build,
            o.succeeded,
            o.failed,
            o.throughput_tps
        ),
    );
    let rows = report
        .trends
        .iter()
        .map(|t| vec![t.series.clone(), if t.rising { "rising" } else { "flat" }.into(), t.verdict.clone()])
        .collect();
    html.push_str("<h2>Trends after warm-up</h2>");
    html.push_str(&table(&Table { header: &["Series", "Verdict", "Detail"], rows }));
    let names: Vec<String> =
        report.samples.first().map(|s| s.nodes.iter().map(|n| n.name.clone()).collect()).unwrap_or_default();
    let per_node = |f: &dyn Fn(&crate::soak::NodeSample) -> Option<f64>| -> Vec<(String, Vec<(f64, f64)>)> {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let pts = report.samples.iter().filter_map(|s| Some((s.secs, f(s.nodes.get(i)?)?))).collect();
                (name.clone(), pts)
            })
            .collect()
    };
    html.push_str(&lines("Resident memory per node", "MB", &per_node(&|n| n.rss_mb)));
    html.push_str(&lines("Node directory size (ledger, state, logs)", "MB", &per_node(&|n| Some(n.disk_mb))));
    let committed = report.samples.iter().map(|s| (s.secs, s.committed as f64)).collect();
    html.push_str(&lines("Committed transactions", "tx", &[("committed".into(), committed)]));
    html.push_str("</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scale_to_the_largest() {
        let svg = bars("t", "tx/s", &[("<a>".into(), 50.0), ("b".into(), 100.0)]);
        assert!(svg.contains("&lt;a&gt;") && !svg.contains("<a>"), "{svg}");
        assert!(svg.contains("width=\"230.0\"") && svg.contains("width=\"460.0\""), "{svg}");
    }

    #[test]
    fn line_charts_span_the_plot_and_name_each_series() {
        let svg = lines("m", "MB", &[("a<".into(), vec![(0.0, 0.0), (10.0, 5.0)]), ("b".into(), vec![(5.0, 1.0)])]);
        // x from the left margin (60) to the right edge (630); y 0 at the axis.
        assert!(svg.contains("points=\"60.0,196.0 630.0,"), "{svg}");
        assert!(svg.contains("a&lt;") && svg.contains(">b</text>") && svg.contains(COLOURS[1]), "{svg}");
    }
}
