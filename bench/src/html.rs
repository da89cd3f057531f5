//! The report as one self-contained HTML file (no scripts, no external
//! resources): the summary table, bar charts of throughput and latency
//! percentiles per round drawn as inline SVG, and the resource tables.

use crate::report::{Report, Table};

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
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>weft-bench: {w}</title><style>body{{font:15px \
         system-ui,sans-serif;max-width:1100px;margin:auto;padding:1rem}}table{{border-collapse:collapse;margin:\
         .5rem 0 1.5rem}}th,td{{border:1px solid #ccd;padding:.25rem .5rem;text-align:right}}th:first-child,td:\
         first-child{{text-align:left}}figure{{margin:1rem 0}}figcaption{{font-weight:600}}</style></head><body>\
         <h1>weft-bench: {w}</h1><p>{d}<br>network {n}, run {r}, {b} build</p>",
        w = escape(&report.workload),
        d = escape(&report.description),
        n = escape(&report.network),
        r = escape(&report.run),
        b = report.build
    );
    html.push_str("<h2>Summary</h2>");
    html.push_str(&table(&report.summary()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scale_to_the_largest() {
        let svg = bars("t", "tx/s", &[("<a>".into(), 50.0), ("b".into(), 100.0)]);
        assert!(svg.contains("&lt;a&gt;") && !svg.contains("<a>"), "{svg}");
        assert!(svg.contains("width=\"230.0\"") && svg.contains("width=\"460.0\""), "{svg}");
    }
}
