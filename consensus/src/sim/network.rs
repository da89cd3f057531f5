//! The simulated network: per-message delay, loss and duplication, and
//! partitions that split the nodes into two sides.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::Faults;

pub struct Network {
    faults: Faults,
    /// Side of each node while partitioned.
    sides: Option<Vec<bool>>,
}

impl Network {
    pub fn new(faults: Faults) -> Network {
        Network { faults, sides: None }
    }

    pub fn partition(&mut self, rng: &mut ChaCha8Rng, n: usize) {
        let mut sides: Vec<bool> = (0..n).map(|_| rng.gen_bool(0.5)).collect();
        // Always a real split: at least one node on each side.
        sides[0] = true;
        let other = rng.gen_range(1..n.max(2)).min(n - 1);
        sides[other] = false;
        self.sides = Some(sides);
    }

    pub fn heal(&mut self) {
        self.sides = None;
    }

    /// No more loss, duplication or partitions; delays stay.
    pub fn stabilise(&mut self) {
        self.faults.drop = 0.0;
        self.faults.duplicate = 0.0;
        self.sides = None;
    }

    /// The delays after which copies of a message from `from` arrive at
    /// `to`: none if lost, two if duplicated.
    pub fn deliveries(&self, rng: &mut ChaCha8Rng, from: usize, to: usize) -> Vec<u64> {
        if let Some(sides) = &self.sides {
            // A node added during a partition joins the first side.
            let side = |i: usize| sides.get(i).copied().unwrap_or(true);
            if side(from) != side(to) {
                return Vec::new();
            }
        }
        if rng.gen_bool(self.faults.drop) {
            return Vec::new();
        }
        let max = self.faults.max_delay_ms.max(1);
        let mut out = vec![rng.gen_range(1..=max)];
        if rng.gen_bool(self.faults.duplicate) {
            out.push(rng.gen_range(1..=max));
        }
        out
    }
}
