//! Input validation, the GTH factorisation of the basin's generator and the power iteration
//! for its quasi-stationary distribution (see the parent module's documentation).

use super::{BasinError, QSD_MAX_ITERATIONS, QSD_TOLERANCE};

/// Validates the input and returns the dense off-diagonal rate matrix (row-major, zero
/// diagonal, repeated pairs summed).
pub(super) fn validate(
    n: usize,
    fast: &[(usize, usize, f64)],
    exits: &[f64],
) -> Result<Vec<f64>, BasinError> {
    if n == 0 {
        return Err(BasinError::Empty);
    }
    if exits.len() != n {
        return Err(BasinError::ExitCount {
            expected: n,
            got: exits.len(),
        });
    }
    for (state, &rate) in exits.iter().enumerate() {
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(BasinError::InvalidExitRate { state, rate });
        }
    }
    let mut rates = vec![0.0; n * n];
    for &(from, to, rate) in fast {
        if from >= n || to >= n {
            return Err(BasinError::StateOutOfRange { from, to, n });
        }
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(BasinError::InvalidFastRate { from, to, rate });
        }
        if from != to {
            rates[from * n + to] += rate;
        }
    }
    for state in 0..n {
        let total: f64 = rates[state * n..(state + 1) * n].iter().sum::<f64>() + exits[state];
        if !total.is_finite() {
            return Err(BasinError::RateOverflow { state });
        }
    }
    if exits.iter().all(|&r| r <= 0.0) {
        return Err(BasinError::NoExit);
    }
    // weak connectivity: breadth-first search from state 0 over links in either direction.
    let linked = |i: usize, j: usize| rates[i * n + j] > 0.0 || rates[j * n + i] > 0.0;
    let mut seen = vec![false; n];
    seen[0] = true;
    let mut queue = vec![0];
    while let Some(i) = queue.pop() {
        for (j, seen_j) in seen.iter_mut().enumerate() {
            if !*seen_j && linked(i, j) {
                *seen_j = true;
                queue.push(j);
            }
        }
    }
    if let Some(state) = seen.iter().position(|&s| !s) {
        return Err(BasinError::Disconnected { state });
    }
    // every state must reach an exit: backward search from the exit states.
    let mut reaches: Vec<bool> = exits.iter().map(|&r| r > 0.0).collect();
    let mut queue: Vec<usize> = (0..n).filter(|&i| reaches[i]).collect();
    while let Some(j) = queue.pop() {
        for i in 0..n {
            if !reaches[i] && rates[i * n + j] > 0.0 {
                reaches[i] = true;
                queue.push(i);
            }
        }
    }
    if let Some(state) = reaches.iter().position(|&r| !r) {
        return Err(BasinError::Trapped { state });
    }
    Ok(rates)
}

/// GTH factors of `A = −Q = L U`, stored by non-negative numbers only: `lu[i * n + k]` for
/// `k < i` is `w_ik / d_k` (minus the entry of `L`), for `j > i` it is the reduced rate
/// `w_ij` (minus the entry of `U`), and `pivots[k] = d_k` is the diagonal of `U`.
#[derive(Debug, Clone)]
pub(super) struct Gth {
    n: usize,
    lu: Vec<f64>,
    pivots: Vec<f64>,
}

impl Gth {
    /// The elimination of the module documentation, in the natural order of the states.
    pub(super) fn factor(n: usize, rates: &[f64], exits: &[f64]) -> Result<Self, BasinError> {
        let mut lu = rates.to_vec();
        let mut exit = exits.to_vec();
        let mut pivots = vec![0.0; n];
        for k in 0..n {
            let pivot: f64 = lu[k * n + k + 1..(k + 1) * n].iter().sum::<f64>() + exit[k];
            if !(pivot.is_finite() && pivot > 0.0) {
                return Err(BasinError::Singular { state: k });
            }
            pivots[k] = pivot;
            let exit_k = exit[k];
            for i in k + 1..n {
                let w_ik = lu[i * n + k];
                if w_ik == 0.0 {
                    continue;
                }
                let factor = w_ik / pivot;
                lu[i * n + k] = factor;
                for j in k + 1..n {
                    if j != i {
                        let w_kj = lu[k * n + j];
                        lu[i * n + j] += factor * w_kj;
                    }
                }
                exit[i] += factor * exit_k;
            }
        }
        Ok(Self { n, lu, pivots })
    }

    /// `A⁻¹ b` for `b ≥ 0`, without subtractions.
    pub(super) fn solve(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut x = b.to_vec();
        // L y = b: y_i = b_i + Σ_{k<i} (w_ik / d_k) y_k.
        for i in 0..n {
            let row = &self.lu[i * n..i * n + i];
            x[i] += row.iter().zip(&x[..i]).map(|(l, y)| l * y).sum::<f64>();
        }
        // U x = y: x_i = (y_i + Σ_{j>i} w_ij x_j) / d_i.
        for i in (0..n).rev() {
            let row = &self.lu[i * n + i + 1..(i + 1) * n];
            let sum: f64 = row.iter().zip(&x[i + 1..]).map(|(u, x)| u * x).sum();
            x[i] = (x[i] + sum) / self.pivots[i];
        }
        x
    }
}

/// Left power iteration `xᵀ ← xᵀ N / ‖xᵀ N‖₁` from `start`; returns the normalised vector
/// and the Perron root estimate `‖xᵀ N‖₁` (with `‖x‖₁ = 1`).
pub(super) fn power_iteration(n: usize, occupation: &[f64], start: Vec<f64>) -> (Vec<f64>, f64) {
    let mut x = start;
    let total: f64 = x.iter().sum();
    if total > 0.0 && total.is_finite() {
        for v in &mut x {
            *v /= total;
        }
    } else {
        #[allow(clippy::cast_precision_loss)]
        x.fill(1.0 / n as f64);
    }
    let mut root = 0.0;
    let mut next = vec![0.0; n];
    for _ in 0..QSD_MAX_ITERATIONS {
        next.fill(0.0);
        for (i, &xi) in x.iter().enumerate() {
            if xi > 0.0 {
                let row = &occupation[i * n..(i + 1) * n];
                for (y, &value) in next.iter_mut().zip(row) {
                    *y += xi * value;
                }
            }
        }
        root = next.iter().sum();
        let mut change = 0.0;
        for (y, xi) in next.iter_mut().zip(&x) {
            *y /= root;
            change += (*y - xi).abs();
        }
        std::mem::swap(&mut x, &mut next);
        if change <= QSD_TOLERANCE {
            break;
        }
    }
    (x, root)
}
