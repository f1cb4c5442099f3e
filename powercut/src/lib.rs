//! A machine whose power a test can cut: a disk for redb ([`SimDisk`], a
//! `redb::StorageBackend`) and a folder of files ([`SimFolder`]) that keep what was written
//! but not yet synced apart from what is durable, as a disk's cache and a file system's
//! page cache do. Both count their operations on one [`Power`]; after the operation a test
//! chose, the power is off and every operation fails, as on a machine whose battery died.
//! A test then takes what a restart would find ([`SimDisk::crash_image`],
//! [`SimFolder::crash_files`]): everything durable, and of the rest nothing, everything, or
//! a random part in a random order, torn at sectors. Seeded ([`Rng`]), so that a failing
//! cut can be run again.
//!
//! For tests only: the hub's and the kiosk's stores open over these instead of their files.

mod disk;
mod folder;

pub use disk::SimDisk;
pub use folder::SimFolder;

use std::sync::{Arc, Mutex, MutexGuard};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding it leaves the state between two whole steps.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The error of every operation once the power is off.
fn power_off() -> std::io::Error {
    std::io::Error::other("the power is off")
}

/// The machine's power: counts the operations of every device on it, and goes off at the
/// one a test chose. Cheap to clone; clones share the count.
#[derive(Debug, Clone, Default)]
pub struct Power(Arc<Mutex<PowerState>>);

#[derive(Debug, Default)]
struct PowerState {
    ops: u64,
    cut_at: Option<u64>,
    off: bool,
}

impl Power {
    /// A machine that is on.
    pub fn on() -> Power {
        Power::default()
    }

    /// The power goes off instead of the `ops`-th operation from now (1: the next one).
    pub fn cut_after(&self, ops: u64) {
        let mut state = lock(&self.0);
        state.cut_at = Some(state.ops + ops.max(1));
    }

    /// Whether the power is off.
    pub fn is_off(&self) -> bool {
        lock(&self.0).off
    }

    /// Operations done so far (writes, syncs, resizes, file changes).
    pub fn ops(&self) -> u64 {
        lock(&self.0).ops
    }

    /// Counts an operation that changes something; fails, changing nothing, once the
    /// power is off or goes off now.
    fn tick(&self) -> std::io::Result<()> {
        let mut state = lock(&self.0);
        if state.off {
            return Err(power_off());
        }
        state.ops += 1;
        if state.cut_at.is_some_and(|at| state.ops >= at) {
            state.off = true;
            return Err(power_off());
        }
        Ok(())
    }

    /// Fails once the power is off (reads).
    fn check(&self) -> std::io::Result<()> {
        if lock(&self.0).off {
            return Err(power_off());
        }
        Ok(())
    }
}

/// A small, seeded random number generator (SplitMix64): the same seed, the same cuts.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Starts from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// The items in a random order.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// What lands of the writes not yet synced when the power goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Landing {
    /// None of them.
    Nothing,
    /// All of them, in the order written.
    All,
    /// Each with this probability, in a random order.
    Some(f64),
}

impl Landing {
    fn pick(rng: &mut Rng) -> Landing {
        match rng.below(4) {
            0 => Landing::Nothing,
            1 => Landing::All,
            _ => Landing::Some((rng.below(1000) as f64 + 1.0) / 1000.0),
        }
    }

    /// Keeps the items that land, in the order they land.
    fn apply<T>(self, rng: &mut Rng, items: &mut Vec<T>) {
        match self {
            Landing::Nothing => items.clear(),
            Landing::All => {}
            Landing::Some(p) => {
                items.retain(|_| rng.chance(p));
                rng.shuffle(items);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..5).map(|_| a.below(100)).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.below(100)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| *x < 100));
        let mut items: Vec<u32> = (0..50).collect();
        Rng::new(1).shuffle(&mut items);
        assert_ne!(items, (0..50).collect::<Vec<_>>());
        items.sort_unstable();
        assert_eq!(items, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn the_power_goes_at_the_chosen_operation_and_stays_off() {
        let power = Power::on();
        power.tick().unwrap();
        power.cut_after(2);
        assert!(power.tick().is_ok());
        assert!(power.tick().is_err(), "the second from the cut's setting");
        assert!(power.is_off());
        assert!(power.check().is_err());
        assert!(power.tick().is_err());
        assert_eq!(power.ops(), 3);
    }
}
