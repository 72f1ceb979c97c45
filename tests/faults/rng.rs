//! A small seeded generator (SplitMix64): the same seed gives the same faults, on any
//! machine, without a dependency.

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low).max(1)
    }

    /// An index into a slice of `len`.
    pub fn index(&mut self, len: usize) -> usize {
        (self.next_u64() % len.max(1) as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.range(0, 100) < percent
    }

    /// A generator of its own for a thread, drawn from this one.
    pub fn fork(&mut self) -> Self {
        Self(self.next_u64())
    }
}

/// A seed when none is given: differs from run to run, and is printed so it can be replayed.
pub fn seed_from_time() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (nanos as u64) % 1_000_000_007
}

/// A scenario's seed: the suite's seed mixed with its name, so scenarios differ but each
/// replays alone with the suite's seed.
pub fn mix(seed: u64, name: &str) -> u64 {
    let mut rng = Rng::new(seed);
    name.bytes().fold(rng.next_u64(), |acc, byte| {
        Rng::new(acc ^ u64::from(byte)).next_u64()
    }) % 1_000_000_007
}
