//! Whether the monitor loop is alive, for `/api/health`: it marks each
//! round it finishes; a loop stuck in a round (or gone) stops marking, and
//! the health check says so once three periods and a minute have passed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct Heartbeat(Mutex<Beat>);

#[derive(Default)]
struct Beat {
    /// Set when the loop starts: how often it runs, and since when.
    running: Option<(Duration, Instant)>,
    last_round: Option<Instant>,
}

impl Heartbeat {
    pub fn started(&self, every: Duration) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).running = Some((every, Instant::now()));
    }

    pub fn round_done(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).last_round = Some(Instant::now());
    }

    /// Ok with how it is, or why it looks dead.
    pub fn verdict(&self) -> Result<String, String> {
        let beat = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Some((every, since)) = beat.running else { return Err("the monitor loop is not running".into()) };
        judge(every, since.elapsed(), beat.last_round.map(|t| t.elapsed()))
    }
}

/// The rule: a round finished within three periods and a minute (of the
/// loop starting, before its first round ends).
fn judge(every: Duration, since_start: Duration, since_round: Option<Duration>) -> Result<String, String> {
    let allowed = every * 3 + Duration::from_secs(60);
    match since_round {
        Some(ago) if ago <= allowed => Ok(format!("ok: last round {} s ago", ago.as_secs())),
        None if since_start <= allowed => Ok("ok: first round under way".into()),
        ago => Err(format!(
            "no monitor round has finished for {} s (rounds every {} s): the server's log says what it is stuck on",
            ago.unwrap_or(since_start).as_secs(),
            every.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_within_three_periods_and_a_minute_is_alive() {
        let s = Duration::from_secs;
        assert!(judge(s(5), s(1), None).unwrap().contains("first round"));
        assert!(judge(s(5), s(75), None).is_ok(), "three periods and a minute");
        assert!(judge(s(5), s(76), None).is_err(), "no round in 76 s at 5 s");
        assert!(judge(s(5), s(500), Some(s(75))).unwrap().contains("75 s ago"));
        let dead = judge(s(5), s(500), Some(s(76))).unwrap_err();
        assert!(dead.contains("76 s") && dead.contains("every 5 s"), "{dead}");
        assert!(Heartbeat::default().verdict().unwrap_err().contains("not running"));
    }
}
