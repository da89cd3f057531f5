//! A set that remembers at most a fixed number of hashes, forgetting the
//! oldest first: envelopes already ordered, signatures already checked.

use std::collections::{BTreeSet, VecDeque};

#[derive(Debug, Clone)]
pub struct BoundedSet {
    limit: usize,
    set: BTreeSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
}

impl BoundedSet {
    pub fn new(limit: usize) -> BoundedSet {
        BoundedSet { limit, set: BTreeSet::new(), order: VecDeque::new() }
    }

    pub fn contains(&self, h: &[u8; 32]) -> bool {
        self.set.contains(h)
    }

    pub fn insert(&mut self, h: [u8; 32]) {
        if self.set.insert(h) {
            self.order.push_back(h);
            if self.order.len() > self.limit {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_is_forgotten_first() {
        let mut s = BoundedSet::new(2);
        for i in 0..3u8 {
            s.insert([i; 32]);
        }
        s.insert([2; 32]); // again: no change
        assert!(!s.contains(&[0; 32]) && s.contains(&[1; 32]) && s.contains(&[2; 32]));
    }
}
