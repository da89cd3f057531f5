//! When each transaction of a round is sent: pure arithmetic over the rate
//! control, so the schedule is the same however fast the network answers
//! (open loop); a fixed backlog has no schedule, only a cap on what is in
//! flight.

use crate::workload::RateControl;

/// Seconds after the round's start at which transaction `i` is due, for a
/// rate schedule; None for a fixed backlog (sent when a slot frees up).
/// `total` is the round's count, or for a timed round the count its rate
/// implies.
pub fn due(rate: &RateControl, i: u64, total: u64) -> Option<f64> {
    match *rate {
        RateControl::FixedRate { tps } => Some(i as f64 / tps),
        RateControl::FixedBacklog { .. } => None,
        RateControl::LinearRate { start_tps, end_tps } => {
            // The rate rises linearly with the transaction count: r(n) =
            // a + (b - a) n / N; the time to reach n is the integral of 1/r.
            let n = total.max(1) as f64;
            let (a, b) = (start_tps, end_tps);
            let x = i as f64;
            if (b - a).abs() < 1e-9 {
                return Some(x / a);
            }
            let k = (b - a) / n;
            Some(((a + k * x) / a).ln() / k)
        }
    }
}

/// How many transactions a timed round sends at this rate: for the linear
/// ramp, the count whose schedule reaches `end_tps` exactly at `secs` (the
/// logarithmic mean of the two rates, times `secs`); None for a fixed
/// backlog (unbounded).
pub fn count_for(rate: &RateControl, secs: f64) -> Option<u64> {
    match *rate {
        RateControl::FixedRate { tps } => Some((tps * secs).ceil() as u64),
        RateControl::FixedBacklog { .. } => None,
        RateControl::LinearRate { start_tps: a, end_tps: b } if (b - a).abs() < 1e-9 => Some((a * secs).ceil() as u64),
        RateControl::LinearRate { start_tps: a, end_tps: b } => Some((secs * (b - a) / (b / a).ln()).ceil() as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_rate_spaces_evenly() {
        let r = RateControl::FixedRate { tps: 200.0 };
        assert_eq!(due(&r, 0, 10), Some(0.0));
        assert_eq!(due(&r, 200, 1000), Some(1.0));
        assert_eq!(count_for(&r, 2.5), Some(500));
    }

    #[test]
    fn linear_ramp_speeds_up_and_lasts_as_its_average_rate() {
        let r = RateControl::LinearRate { start_tps: 100.0, end_tps: 500.0 };
        let n = 3000;
        let gap = |i| due(&r, i + 1, n).unwrap() - due(&r, i, n).unwrap();
        assert!((gap(0) - 0.01).abs() < 1e-4, "starts at 100 tx/s: {}", gap(0));
        assert!((gap(n - 2) - 0.002).abs() < 1e-4, "ends near 500 tx/s: {}", gap(n - 2));
        // 3000 transactions take ln(5) / (400 / 3000) = 12.07 s: the ramp
        // spends longer at the low rates.
        let end = due(&r, n, n).unwrap();
        assert!((end - (5f64).ln() / (400.0 / 3000.0)).abs() < 1e-9, "{end}");
        let flat = RateControl::LinearRate { start_tps: 50.0, end_tps: 50.0 };
        assert_eq!(due(&flat, 100, 1000), Some(2.0));
        // A timed ramp is scaled to end on time.
        let m = count_for(&r, 10.0).unwrap();
        assert!((due(&r, m, m).unwrap() - 10.0).abs() < 0.01, "{m}");
    }

    #[test]
    fn a_backlog_has_no_schedule() {
        let r = RateControl::FixedBacklog { unfinished: 8 };
        assert_eq!(due(&r, 5, 10), None);
        assert_eq!(count_for(&r, 10.0), None);
    }
}
