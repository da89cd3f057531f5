//! Whether a series measured over a soak keeps rising: pure arithmetic over
//! (seconds, value) points, so the verdict can be tested on made-up series.
//!
//! The first fifth of the run is warm-up (caches and connection pools fill)
//! and is left out. Over the rest, a least-squares line is fitted; the
//! series is rising when the line grows by more than `min_rel` of the
//! series' mean and more than `min_abs` over the window, and the last
//! quarter's mean is above the first quarter's (a line through a sawtooth,
//! such as RocksDB compactions, can tilt without the values climbing) by
//! at least half the line's growth (a line's quarters differ by 3/4 of it),
//! and the growth is larger than the scatter around the line (the standard
//! deviation of the residuals): a trend smaller than the wiggle is not one
//! this run can show.

use serde::Serialize;

/// Fewest points after the warm-up to give a verdict.
pub const MIN_POINTS: usize = 8;

#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    pub series: String,
    pub unit: String,
    /// At the end of the warm-up and at the end of the run.
    pub first: f64,
    pub last: f64,
    /// The fitted line's slope over the window, per hour.
    pub slope_per_hour: f64,
    pub rising: bool,
    pub verdict: String,
}

/// Least-squares slope of y over t, per second.
pub fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let (mt, my) = points.iter().fold((0.0, 0.0), |(a, b), (t, y)| (a + t / n, b + y / n));
    let (num, den) =
        points.iter().fold((0.0, 0.0), |(num, den), (t, y)| (num + (t - mt) * (y - my), den + (t - mt) * (t - mt)));
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// The fitted line's value at the first point's time, for slope `s`.
fn intercept(points: &[(f64, f64)], s: f64) -> f64 {
    let t0 = points[0].0;
    mean(points) - s * points.iter().map(|p| p.0 - t0).sum::<f64>() / points.len() as f64
}

fn mean(points: &[(f64, f64)]) -> f64 {
    points.iter().map(|p| p.1).sum::<f64>() / points.len().max(1) as f64
}

pub fn assess(series: &str, unit: &str, points: &[(f64, f64)], min_rel: f64, min_abs: f64) -> Trend {
    let window = &points[points.len() / 5..];
    let (first, last) = (window.first().map_or(0.0, |p| p.1), window.last().map_or(0.0, |p| p.1));
    let mut trend = Trend {
        series: series.to_string(),
        unit: unit.to_string(),
        first,
        last,
        slope_per_hour: 0.0,
        rising: false,
        verdict: String::new(),
    };
    if window.len() < MIN_POINTS {
        trend.verdict = format!("too few samples to tell ({} after warm-up; run longer)", window.len());
        return trend;
    }
    let s = slope(window);
    trend.slope_per_hour = s * 3600.0;
    let span = window[window.len() - 1].0 - window[0].0;
    let growth = s * span;
    let m = mean(window);
    let quarter = window.len() / 4;
    let climbing = mean(&window[window.len() - quarter..]) - mean(&window[..quarter]) > growth / 2.0;
    let (t0, y0) = (window[0].0, intercept(window, s));
    let scatter =
        (window.iter().map(|(t, y)| (y - (y0 + s * (t - t0))).powi(2)).sum::<f64>() / window.len() as f64).sqrt();
    trend.rising = growth > min_rel * m.abs() && growth > min_abs && climbing && growth > scatter;
    trend.verdict = if trend.rising {
        format!(
            "rising: {:+.1} {unit} per hour after warm-up ({:.1} → {:.1} {unit}); look for a leak",
            trend.slope_per_hour, first, last
        )
    } else {
        format!("flat: {:+.1} {unit} per hour after warm-up ({:.1} → {:.1} {unit})", trend.slope_per_hour, first, last)
    };
    trend
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
        (0..60).map(|i| (i as f64 * 10.0, f(i as f64 * 10.0))).collect()
    }

    #[test]
    fn a_line_has_its_slope() {
        assert!((slope(&series(|t| 3.0 + 0.5 * t)) - 0.5).abs() < 1e-9);
        assert_eq!(slope(&[(1.0, 2.0)]), 0.0);
    }

    #[test]
    fn a_leak_is_rising_and_a_plateau_is_not() {
        // 100 MB growing 1 MB a minute: a leak.
        let leak = assess("rss", "MB", &series(|t| 100.0 + t / 60.0), 0.05, 2.0);
        assert!(leak.rising, "{leak:?}");
        assert!((leak.slope_per_hour - 60.0).abs() < 1e-6, "{leak:?}");
        assert!(leak.verdict.contains("leak"), "{}", leak.verdict);
        // Warms up to 150 MB in the first minute, then stays: flat (the
        // warm-up is left out).
        let plateau = assess("rss", "MB", &series(|t| if t < 60.0 { 100.0 + t / 1.2 } else { 150.0 }), 0.05, 2.0);
        assert!(!plateau.rising, "{plateau:?}");
        // Noise around a level: flat.
        let noisy = assess("rss", "MB", &series(|t| 150.0 + ((t / 10.0) as i64 % 3) as f64), 0.05, 2.0);
        assert!(!noisy.rising, "{noisy:?}");
        // A leak under jitter of ±3 MB is still a leak.
        let jitter = |t: f64| [3.0, -3.0, 1.0, -1.0][(t / 10.0) as usize % 4];
        let noisy_leak = assess("rss", "MB", &series(|t| 100.0 + t / 60.0 + jitter(t)), 0.05, 2.0);
        assert!(noisy_leak.rising, "{noisy_leak:?}");
    }

    #[test]
    fn a_sawtooth_is_not_rising_and_short_runs_say_so() {
        // Compactions: grows then drops back, every 100 s.
        let saw = assess("disk", "MB", &series(|t| 50.0 + (t % 100.0) / 2.0), 0.05, 2.0);
        assert!(!saw.rising, "{saw:?}");
        let short: Vec<(f64, f64)> = (0..5).map(|i| (i as f64, i as f64 * 100.0)).collect();
        let t = assess("rss", "MB", &short, 0.05, 2.0);
        assert!(!t.rising && t.verdict.contains("too few"), "{t:?}");
    }
}
