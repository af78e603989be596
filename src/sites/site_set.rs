//! [`SiteSet`]: a set of site indices with O(1) insert, lookup and clear, for the flood
//! fills of cluster moves (`events/cluster_move.rs`, `engine/clusters.rs`), which clear
//! and refill their sets after nearly every event.

/// A set of site indices: one stamp per site, the set being the sites whose stamp is the
/// current generation, so that `clear` is one increment. The stamps grow on demand to the
/// largest index inserted (4 bytes per site of the system once a fill has reached the
/// last site). Replaced a hash set (Fibonacci-hashed `u32`s) that took about a fifth of
/// the time of the claim rod of system B (BENCHMARKS.md, "System B").
#[derive(Debug, Clone)]
pub struct SiteSet {
    stamps: Vec<u32>,
    generation: u32,
}

impl Default for SiteSet {
    fn default() -> Self {
        Self {
            stamps: Vec::new(),
            generation: 1,
        }
    }
}

impl SiteSet {
    /// Empties the set.
    #[inline]
    pub fn clear(&mut self) {
        if self.generation == u32::MAX {
            self.stamps.fill(0);
            self.generation = 1;
        } else {
            self.generation += 1;
        }
    }

    /// Adds site `x`; true when it was not in the set.
    #[inline]
    pub fn insert(&mut self, x: u32) -> bool {
        let i = x as usize;
        if i >= self.stamps.len() {
            self.stamps.resize((i + 1).next_power_of_two(), 0);
        }
        if self.stamps[i] == self.generation {
            false
        } else {
            self.stamps[i] = self.generation;
            true
        }
    }

    /// Whether site `x` is in the set.
    #[inline]
    #[must_use]
    pub fn contains(&self, x: &u32) -> bool {
        self.stamps
            .get(*x as usize)
            .is_some_and(|&s| s == self.generation)
    }

    /// Adds every site of `sites`.
    pub fn extend(&mut self, sites: impl IntoIterator<Item = u32>) {
        for x in sites {
            self.insert(x);
        }
    }

    /// Memory held [bytes].
    #[must_use]
    pub fn memory_bytes(&self) -> usize {
        self.stamps.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::SiteSet;

    #[test]
    fn insert_contains_clear_and_wrap() {
        let mut s = SiteSet::default();
        assert!(!s.contains(&7));
        assert!(s.insert(7));
        assert!(!s.insert(7));
        assert!(s.contains(&7) && !s.contains(&6) && !s.contains(&1_000));
        s.clear();
        assert!(!s.contains(&7));
        assert!(s.insert(7));
        // the generation wraps: nothing of before survives.
        s.generation = u32::MAX;
        s.insert(3);
        s.clear();
        assert!(!s.contains(&3) && !s.contains(&7));
        assert!(s.insert(3) && s.contains(&3));
    }
}
