//! When to cut a batch: by envelope count, by bytes, or by time — whichever
//! comes first (the rules of Fabric's block cutter, which channel operators
//! already know how to tune).

use weft_proto::BatchConfig;

/// The channel's batch limits with time counted in ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    pub max_message_count: usize,
    /// A batch is cut before it would grow past this.
    pub preferred_max_bytes: usize,
    /// An envelope larger than this is refused.
    pub absolute_max_bytes: usize,
    /// Ticks after the first pending envelope arrived at which the batch is
    /// cut however small.
    pub timeout_ticks: u64,
}

impl BatchLimits {
    /// From the channel configuration; zero fields take Fabric's defaults
    /// (500 messages, 2 MiB preferred, 10 MiB absolute, 2 s timeout).
    pub fn from_config(config: &BatchConfig, tick_interval_ms: u64) -> BatchLimits {
        let or = |v: u32, d: usize| if v == 0 { d } else { v as usize };
        let timeout_ms = if config.batch_timeout_ms == 0 { 2000 } else { config.batch_timeout_ms };
        let tick = tick_interval_ms.max(1);
        BatchLimits {
            max_message_count: or(config.max_message_count, 500),
            preferred_max_bytes: or(config.preferred_max_bytes, 2 << 20),
            absolute_max_bytes: or(config.absolute_max_bytes, 10 << 20),
            timeout_ticks: timeout_ms.div_ceil(tick).max(1),
        }
    }
}

/// What an ordered envelope did to the batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cut {
    /// Batches completed by this envelope (zero, one or two), oldest first.
    Batches(Vec<Vec<Vec<u8>>>),
    /// The envelope is over `absolute_max_bytes` and was not taken.
    TooLarge { size: usize, limit: usize },
}

/// Pure batching state shared by every engine that cuts batches (the solo
/// orderer, the raft leader, the pbft primary).
#[derive(Debug, Clone)]
pub struct BatchCutter {
    limits: BatchLimits,
    pending: Vec<Vec<u8>>,
    pending_bytes: usize,
    /// Ticks since the first pending envelope arrived.
    age: Option<u64>,
}

impl BatchCutter {
    pub fn new(limits: BatchLimits) -> Self {
        BatchCutter { limits, pending: Vec::new(), pending_bytes: 0, age: None }
    }

    pub fn limits(&self) -> &BatchLimits {
        &self.limits
    }

    /// New limits from a configuration update. What waits stays; the next
    /// envelope or tick cuts by the new limits.
    pub fn set_limits(&mut self, limits: BatchLimits) {
        self.limits = limits;
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    pub fn ordered(&mut self, envelope: Vec<u8>) -> Cut {
        let size = envelope.len();
        if size > self.limits.absolute_max_bytes {
            return Cut::TooLarge { size, limit: self.limits.absolute_max_bytes };
        }
        let mut out = Vec::new();
        if size > self.limits.preferred_max_bytes {
            // Big envelopes travel alone, after what was already waiting.
            out.extend(self.cut());
            out.push(vec![envelope]);
            return Cut::Batches(out);
        }
        if self.pending_bytes + size > self.limits.preferred_max_bytes {
            out.extend(self.cut());
        }
        self.pending_bytes += size;
        self.pending.push(envelope);
        self.age.get_or_insert(0);
        if self.pending.len() >= self.limits.max_message_count {
            out.extend(self.cut());
        }
        Cut::Batches(out)
    }

    /// Advances the clock; returns the pending batch if it timed out.
    pub fn tick(&mut self) -> Option<Vec<Vec<u8>>> {
        let age = self.age.as_mut()?;
        *age += 1;
        if *age >= self.limits.timeout_ticks {
            self.cut()
        } else {
            None
        }
    }

    /// The pending envelopes as a batch, if there are any.
    pub fn cut(&mut self) -> Option<Vec<Vec<u8>>> {
        self.age = None;
        self.pending_bytes = 0;
        if self.pending.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.pending))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> BatchLimits {
        BatchLimits { max_message_count: 3, preferred_max_bytes: 100, absolute_max_bytes: 200, timeout_ticks: 4 }
    }

    fn env(n: usize, tag: u8) -> Vec<u8> {
        vec![tag; n]
    }

    fn batches(cut: Cut) -> Vec<Vec<Vec<u8>>> {
        match cut {
            Cut::Batches(b) => b,
            other => panic!("expected batches, got {other:?}"),
        }
    }

    #[test]
    fn cuts_at_the_message_count() {
        let mut c = BatchCutter::new(limits());
        assert!(batches(c.ordered(env(10, 1))).is_empty());
        assert!(batches(c.ordered(env(10, 2))).is_empty());
        let out = batches(c.ordered(env(10, 3)));
        assert_eq!(out, vec![vec![env(10, 1), env(10, 2), env(10, 3)]]);
        assert_eq!(c.pending(), 0);
    }

    #[test]
    fn cuts_before_passing_the_preferred_size() {
        let mut c = BatchCutter::new(limits());
        c.ordered(env(60, 1));
        let out = batches(c.ordered(env(60, 2)));
        assert_eq!(out, vec![vec![env(60, 1)]]);
        assert_eq!(c.pending(), 1);
    }

    #[test]
    fn an_envelope_over_the_preferred_size_goes_alone_after_the_pending_ones() {
        let mut c = BatchCutter::new(limits());
        c.ordered(env(10, 1));
        let out = batches(c.ordered(env(150, 2)));
        assert_eq!(out, vec![vec![env(10, 1)], vec![env(150, 2)]]);
        assert_eq!(c.pending(), 0);
    }

    #[test]
    fn an_envelope_over_the_absolute_size_is_refused_and_changes_nothing() {
        let mut c = BatchCutter::new(limits());
        c.ordered(env(10, 1));
        assert_eq!(c.ordered(env(201, 2)), Cut::TooLarge { size: 201, limit: 200 });
        assert_eq!(c.pending(), 1);
    }

    #[test]
    fn the_timeout_counts_from_the_first_pending_envelope() {
        let mut c = BatchCutter::new(limits());
        for _ in 0..10 {
            assert_eq!(c.tick(), None, "an empty cutter never times out");
        }
        c.ordered(env(10, 1));
        c.tick();
        c.tick();
        c.ordered(env(10, 2));
        c.tick();
        assert_eq!(c.tick(), Some(vec![env(10, 1), env(10, 2)]));
        assert_eq!(c.tick(), None);
    }

    #[test]
    fn config_zeros_take_defaults_and_time_rounds_up_to_ticks() {
        let l = BatchLimits::from_config(&BatchConfig::default(), 300);
        assert_eq!(l.max_message_count, 500);
        assert_eq!(l.timeout_ticks, 7, "2000 ms at 300 ms a tick");
        let cfg = BatchConfig {
            max_message_count: 10,
            absolute_max_bytes: 1000,
            preferred_max_bytes: 500,
            batch_timeout_ms: 50,
        };
        let l = BatchLimits::from_config(&cfg, 100);
        assert_eq!(
            (l.max_message_count, l.preferred_max_bytes, l.absolute_max_bytes, l.timeout_ticks),
            (10, 500, 1000, 1)
        );
    }
}
