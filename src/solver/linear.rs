//! [`LinearSolver`]: the O(n) reference selection structure.
//!
//! A plain array of weights; `total` and `select` scan it in index order. It is the
//! reference against which [`super::sum_tree::SumTree`] is tested, and adequate for systems
//! with a handful of events.

/// Non-negative weights [s⁻¹] with O(1) update and O(n) total and selection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinearSolver {
    weights: Vec<f64>,
}

fn assert_weight(index: usize, weight: f64) {
    assert!(
        weight.is_finite() && weight >= 0.0,
        "solver weights must be finite and >= 0: weight {index} is {weight}"
    );
}

impl LinearSolver {
    /// `n` zero weights.
    #[must_use]
    pub fn new(n: usize) -> Self {
        LinearSolver {
            weights: vec![0.0; n],
        }
    }

    /// A solver holding `weights` [s⁻¹].
    ///
    /// # Panics
    /// If a weight is not finite and ≥ 0 (callers validate rates).
    #[must_use]
    pub fn with_weights(weights: &[f64]) -> Self {
        for (index, &weight) in weights.iter().enumerate() {
            assert_weight(index, weight);
        }
        LinearSolver {
            weights: weights.to_vec(),
        }
    }

    /// Number of weights.
    #[must_use]
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// True when there are no weights.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Sets weight `index` to `weight` [s⁻¹]. O(1).
    ///
    /// # Panics
    /// If `index >= len()` or `weight` is not finite and ≥ 0.
    pub fn set(&mut self, index: usize, weight: f64) {
        assert_weight(index, weight);
        self.weights[index] = weight;
    }

    /// Weight `index` [s⁻¹].
    ///
    /// # Panics
    /// If `index >= len()`.
    #[must_use]
    pub fn get(&self, index: usize) -> f64 {
        self.weights[index]
    }

    /// All weights [s⁻¹].
    #[must_use]
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Sum of all weights [s⁻¹], summed in index order. O(n).
    #[must_use]
    pub fn total(&self) -> f64 {
        self.weights.iter().sum()
    }

    /// No-op, for API parity with [`super::sum_tree::SumTree::rebuild`].
    pub fn rebuild(&mut self) {}

    /// The index `i` with `cumsum(i − 1) ≤ target < cumsum(i)` [target in s⁻¹], skipping
    /// zero weights. O(n).
    ///
    /// Returns `None` when all weights are zero (or there are none) or `target` is NaN. A
    /// negative target is treated as 0; a target at or above the accumulated total (a
    /// floating-point edge of `u · R`) gives the last non-zero weight.
    #[must_use]
    pub fn select(&self, target: f64) -> Option<usize> {
        if target.is_nan() {
            return None;
        }
        let target = target.max(0.0);
        let mut cumulative = 0.0;
        let mut last_non_zero = None;
        for (index, &weight) in self.weights.iter().enumerate() {
            if weight > 0.0 {
                cumulative += weight;
                if target < cumulative {
                    return Some(index);
                }
                last_non_zero = Some(index);
            }
        }
        last_non_zero
    }
}

#[cfg(test)]
// exact float comparisons in these tests check values that are exactly representable
// (breakpoints, jumps, small sums); inexact values are compared with approx.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn linear_select_follows_cumulative_sum() {
        let solver = LinearSolver::with_weights(&[1.0, 0.0, 2.0, 3.0, 0.0]);
        assert_eq!(solver.total(), 6.0);
        assert_eq!(solver.select(0.0), Some(0));
        assert_eq!(solver.select(0.999), Some(0));
        assert_eq!(solver.select(1.0), Some(2));
        assert_eq!(solver.select(2.999), Some(2));
        assert_eq!(solver.select(3.0), Some(3));
        assert_eq!(solver.select(6.0), Some(3));
        assert_eq!(solver.select(100.0), Some(3));
        assert_eq!(solver.select(-1.0), Some(0));
        assert_eq!(solver.select(f64::NAN), None);
    }

    #[test]
    fn linear_empty_or_all_zero_selects_none() {
        assert_eq!(LinearSolver::new(0).select(0.0), None);
        assert_eq!(LinearSolver::new(4).select(0.0), None);
        assert!(LinearSolver::new(0).is_empty());
    }

    #[test]
    fn linear_set_and_get() {
        let mut solver = LinearSolver::new(3);
        solver.set(1, 2.5);
        assert_eq!(solver.get(1), 2.5);
        assert_eq!(solver.weights(), &[0.0, 2.5, 0.0]);
        assert_eq!(solver.select(1.0), Some(1));
    }

    #[test]
    #[should_panic(expected = "finite and >= 0")]
    fn linear_negative_weight_panics() {
        LinearSolver::new(1).set(0, -1.0);
    }
}
