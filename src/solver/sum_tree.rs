//! [`SumTree`]: binary sum tree for O(log n) event selection [SPPARKS `solve_tree`].
//!
//! The weights are the leaves of a complete binary tree whose internal nodes hold the sum
//! of their two children, so the root holds the total rate. The tree is stored as a flat
//! array in heap order: node 1 is the root, the children of node `k` are `2k` and `2k + 1`,
//! and the leaves are nodes `capacity .. 2 · capacity`, where `capacity` is `n` rounded up
//! to a power of two. Padding leaves hold 0 and are never selected. Node 0 is unused.
//!
//! Memory is `2 · capacity` `f64`s (at most 32 bytes per weight).

/// Non-negative weights [s⁻¹] with O(log n) update and selection and O(1) total.
#[derive(Debug, Clone, PartialEq)]
pub struct SumTree {
    /// Heap-ordered nodes; leaves at `capacity + i`.
    nodes: Vec<f64>,
    /// Number of leaves, a power of two ≥ max(`len`, 1).
    capacity: usize,
    /// Number of weights.
    len: usize,
}

fn assert_weight(index: usize, weight: f64) {
    assert!(
        weight.is_finite() && weight >= 0.0,
        "solver weights must be finite and >= 0: weight {index} is {weight}"
    );
}

impl SumTree {
    /// A tree of `n` zero weights.
    #[must_use]
    pub fn new(n: usize) -> Self {
        let capacity = n.next_power_of_two().max(1);
        SumTree {
            nodes: vec![0.0; 2 * capacity],
            capacity,
            len: n,
        }
    }

    /// A tree holding `weights` [s⁻¹], built in O(n).
    ///
    /// # Panics
    /// If a weight is not finite and ≥ 0 (callers validate rates).
    ///
    /// # Example
    /// ```
    /// use nanokmc::solver::sum_tree::SumTree;
    /// let tree = SumTree::with_weights(&[1.0, 0.0, 3.0]);
    /// assert_eq!(tree.total(), 4.0);
    /// assert_eq!(tree.select(0.5), Some(0));
    /// assert_eq!(tree.select(1.0), Some(2)); // the zero weight 1 is skipped
    /// ```
    #[must_use]
    pub fn with_weights(weights: &[f64]) -> Self {
        let mut tree = SumTree::new(weights.len());
        for (index, &weight) in weights.iter().enumerate() {
            assert_weight(index, weight);
        }
        tree.nodes[tree.capacity..tree.capacity + weights.len()].copy_from_slice(weights);
        tree.rebuild();
        tree
    }

    /// Number of weights.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no weights.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sets weight `index` to `weight` [s⁻¹]. O(log n).
    ///
    /// # Panics
    /// If `index >= len()` or `weight` is not finite and ≥ 0.
    pub fn set(&mut self, index: usize, weight: f64) {
        assert!(
            index < self.len,
            "sum tree index must be < len: {index} >= {}",
            self.len
        );
        assert_weight(index, weight);

        // write the leaf, then walk up to the root recomputing each ancestor as the sum of
        // its two children. recomputing (rather than adding the difference) keeps every
        // node exactly equal to fl(left + right), so the sums never drift and the tree is
        // identical to one rebuilt from the same leaves, whatever the update history.
        let mut node = self.capacity + index;
        self.nodes[node] = weight;
        while node > 1 {
            node /= 2;
            self.nodes[node] = self.nodes[2 * node] + self.nodes[2 * node + 1];
        }
    }

    /// Weight `index` [s⁻¹].
    ///
    /// # Panics
    /// If `index >= len()`.
    #[must_use]
    pub fn get(&self, index: usize) -> f64 {
        assert!(
            index < self.len,
            "sum tree index must be < len: {index} >= {}",
            self.len
        );
        self.nodes[self.capacity + index]
    }

    /// All weights [s⁻¹], in index order.
    #[must_use]
    pub fn weights(&self) -> &[f64] {
        &self.nodes[self.capacity..self.capacity + self.len]
    }

    /// Sum of all weights [s⁻¹] (the root). O(1).
    #[must_use]
    pub fn total(&self) -> f64 {
        self.nodes[1]
    }

    /// Recomputes every internal node from the leaves, bottom up. O(n).
    ///
    /// Since [`SumTree::set`] already keeps every node equal to the sum of its children,
    /// this changes nothing after `set`; it is for bulk loading and for debug checks.
    pub fn rebuild(&mut self) {
        for node in (1..self.capacity).rev() {
            self.nodes[node] = self.nodes[2 * node] + self.nodes[2 * node + 1];
        }
    }

    /// The index `i` with `cumsum(i − 1) ≤ target < cumsum(i)` [target in s⁻¹], never a
    /// zero weight. O(log n).
    ///
    /// Returns `None` when the total is zero (all weights zero, or none) or `target` is NaN.
    /// A negative target is treated as 0. A target at or above the total, which `u · R`
    /// can reach through rounding, gives the last non-zero weight. Near the boundary
    /// between two weights the partial sums of the tree and of a linear scan may round
    /// differently, so the two may pick neighbours there.
    #[must_use]
    pub fn select(&self, target: f64) -> Option<usize> {
        let total = self.total();
        if target.is_nan() || total <= 0.0 {
            return None;
        }
        if target >= total {
            return Some(self.last_non_zero());
        }

        // descend from the root: if the target falls in the left child's sum go left,
        // otherwise subtract that sum and go right. every visited node has a positive sum:
        // going left needs target < left (so left > 0); going right needs right > 0. if
        // rounding sends the target past the left sum while the right subtree is empty,
        // go left instead: then left == parent > 0. so the leaf reached is never zero.
        let mut remaining = target.max(0.0);
        let mut node = 1;
        while node < self.capacity {
            let left = 2 * node;
            let right = left + 1;
            if remaining < self.nodes[left] {
                node = left;
            } else if self.nodes[right] > 0.0 {
                remaining -= self.nodes[left];
                node = right;
            } else {
                node = left;
            }
        }
        Some(node - self.capacity)
    }

    /// The index of the last non-zero weight; requires a positive total.
    fn last_non_zero(&self) -> usize {
        // prefer the right child whenever it has weight; the positive-sum invariant of
        // select holds here too.
        let mut node = 1;
        while node < self.capacity {
            let right = 2 * node + 1;
            node = if self.nodes[right] > 0.0 {
                right
            } else {
                right - 1
            };
        }
        node - self.capacity
    }
}

#[cfg(test)]
// exact float comparisons in these tests check values that are exactly representable
// (breakpoints, jumps, small sums); inexact values are compared with approx.
#[allow(clippy::float_cmp)]
mod tests {
    use super::super::linear::LinearSolver;
    use super::*;
    use crate::rng::{stream, uniform_open01};
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    const SEEDS: [u64; 3] = [3, 17, 2024];

    #[test]
    fn sum_tree_select_follows_cumulative_sum() {
        let tree = SumTree::with_weights(&[1.0, 0.0, 2.0, 3.0, 0.0]);
        assert_eq!(tree.len(), 5);
        assert_eq!(tree.total(), 6.0);
        for (target, expected) in [
            (0.0, 0),
            (0.999, 0),
            (1.0, 2),
            (2.999, 2),
            (3.0, 3),
            (5.999, 3),
            (6.0, 3),
            (1e9, 3),
            (-1.0, 0),
        ] {
            assert_eq!(tree.select(target), Some(expected), "target {target}");
        }
        assert_eq!(tree.select(f64::NAN), None);
    }

    #[test]
    fn sum_tree_empty_or_all_zero_selects_none() {
        assert_eq!(SumTree::new(0).select(0.0), None);
        assert_eq!(SumTree::new(0).total(), 0.0);
        assert!(SumTree::new(0).is_empty());
        let mut tree = SumTree::new(5);
        assert_eq!(tree.select(0.0), None);
        tree.set(3, 2.0);
        tree.set(3, 0.0);
        assert_eq!(tree.select(0.0), None);
    }

    #[test]
    fn sum_tree_single_weight() {
        let mut tree = SumTree::new(1);
        tree.set(0, 4.0);
        assert_eq!(tree.total(), 4.0);
        assert_eq!(tree.select(3.9), Some(0));
        assert_eq!(tree.select(4.0), Some(0));
    }

    #[test]
    fn sum_tree_zero_weights_never_selected_at_edges() {
        // zero weights everywhere except two, probed at every boundary and beyond.
        let mut weights = vec![0.0; 37];
        weights[5] = 0.1;
        weights[20] = 0.2;
        let tree = SumTree::with_weights(&weights);
        for target in [
            0.0,
            0.1,
            0.1 + 1e-17,
            0.3,
            0.300_000_000_000_000_04,
            1.0,
            -0.0,
        ] {
            let index = tree.select(target).expect("non-zero total");
            assert!(
                weights[index] > 0.0,
                "target {target} gave zero weight {index}"
            );
        }
        assert_eq!(tree.select(0.3), Some(20));
    }

    #[test]
    fn sum_tree_get_and_weights() {
        let mut tree = SumTree::new(3);
        tree.set(2, 1.5);
        assert_eq!(tree.get(2), 1.5);
        assert_eq!(tree.weights(), &[0.0, 0.0, 1.5]);
    }

    #[test]
    #[should_panic(expected = "finite and >= 0")]
    fn sum_tree_negative_weight_panics() {
        SumTree::new(2).set(0, -1.0);
    }

    #[test]
    #[should_panic(expected = "finite and >= 0")]
    fn sum_tree_nan_weight_panics() {
        SumTree::new(2).set(1, f64::NAN);
    }

    #[test]
    #[should_panic(expected = "index must be < len")]
    fn sum_tree_padding_index_panics() {
        // index 3 exists in the padded array (capacity 4) but not in the tree.
        SumTree::new(3).set(3, 1.0);
    }

    /// χ² test of selection frequencies: 9 weights (one zero), N = 200 000 draws per seed
    /// with targets `u · R`, seeds [`SEEDS`]. The threshold 40.52 is the χ²₇ quantile at
    /// 10⁻⁶ (8 non-zero bins), so a correct solver fails with probability 10⁻⁶ per seed;
    /// the zero weight must never be drawn.
    #[test]
    fn sum_tree_selection_frequencies_chi_square() {
        const DRAWS: u32 = 200_000;
        let weights = [1.0, 2.0, 3.0, 4.0, 0.0, 5.0, 6.0, 0.5, 2.5];
        let tree = SumTree::with_weights(&weights);
        let total: f64 = weights.iter().sum();
        for seed in SEEDS {
            let mut rng = stream(seed, 0);
            let mut counts = [0u32; 9];
            for _ in 0..DRAWS {
                let index = tree
                    .select(uniform_open01(&mut rng) * tree.total())
                    .expect("non-zero total");
                counts[index] += 1;
            }
            assert_eq!(counts[4], 0, "zero weight selected");
            let chi_square: f64 = weights
                .iter()
                .zip(counts)
                .filter(|(w, _)| **w > 0.0)
                .map(|(w, c)| {
                    let expected = f64::from(DRAWS) * w / total;
                    (f64::from(c) - expected).powi(2) / expected
                })
                .sum();
            assert!(
                chi_square < 40.52,
                "seed {seed}: χ² = {chi_square}, {counts:?}"
            );
        }
    }

    fn weight_strategy() -> impl Strategy<Value = f64> {
        prop_oneof![Just(0.0), 1e-3f64..1e3, 1e6f64..1e13]
    }

    proptest! {
        /// After random updates the total equals Σw (1e-9 relative), is bitwise the total of
        /// a tree rebuilt from the same leaves, and select agrees with the linear solver
        /// for targets away from cumulative boundaries.
        #[test]
        fn sum_tree_matches_linear_after_random_updates(
            n in 1usize..150,
            updates in prop::collection::vec((0.0f64..1.0, weight_strategy()), 0..300),
            fractions in prop::collection::vec(0.0f64..1.0, 20),
        ) {
            let mut tree = SumTree::new(n);
            let mut linear = LinearSolver::new(n);
            for (position, weight) in updates {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
                let index = ((position * n as f64) as usize).min(n - 1);
                tree.set(index, weight);
                linear.set(index, weight);
            }
            prop_assert_eq!(tree.weights(), linear.weights());
            let exact: f64 = linear.total();
            if exact == 0.0 {
                prop_assert_eq!(tree.total(), 0.0);
                prop_assert_eq!(tree.select(0.5), None);
            } else {
                assert_relative_eq!(tree.total(), exact, max_relative = 1e-9);
            }
            let rebuilt = SumTree::with_weights(linear.weights());
            prop_assert_eq!(tree.total().to_bits(), rebuilt.total().to_bits());

            let mut boundaries = Vec::new();
            let mut cumulative = 0.0;
            for &w in linear.weights() {
                cumulative += w;
                boundaries.push(cumulative);
            }
            for fraction in fractions {
                let target = fraction * exact;
                if boundaries.iter().any(|b| (b - target).abs() <= 1e-9 * exact) {
                    continue;
                }
                let selected = tree.select(target);
                prop_assert_eq!(selected, linear.select(target), "target {}", target);
                if let Some(index) = selected {
                    prop_assert!(tree.get(index) > 0.0);
                }
            }
        }

        /// Whatever the target, a selected index holds a non-zero weight.
        #[test]
        fn sum_tree_never_selects_zero_weight(
            weights in prop::collection::vec(weight_strategy(), 1..64),
            target in prop_oneof![-1.0f64..0.0, 0.0f64..1.0, Just(f64::INFINITY)],
        ) {
            let tree = SumTree::with_weights(&weights);
            match tree.select(target * tree.total()) {
                Some(index) => prop_assert!(weights[index] > 0.0),
                None => prop_assert!(tree.total() == 0.0 || (target * tree.total()).is_nan()),
            }
        }
    }
}
