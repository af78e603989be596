//! The condition of a claim and its verdict on the replica statistics.
//!
//! Every condition is tested on the mean over replicas, widened by an allowance
//! `tolerance + relative_tolerance·|reference| + sigmas·SEM` (the claim's absolute and
//! relative tolerance, and `sigmas` standard errors of the mean, 3 by default), so that a
//! claim fails only when the measurement is off by more than its stated tolerance *and* its
//! statistical error. `ordering` asks the opposite: the difference must exceed the
//! allowance, so that noise alone cannot make it pass.

use super::stats::Summary;

/// The widening of a condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Allowance {
    /// Absolute tolerance, in the unit of the measured quantity.
    pub tolerance: f64,
    /// Relative tolerance, a fraction of the reference value.
    pub relative: f64,
    /// Number of standard errors of the mean.
    pub sigmas: f64,
}

impl Allowance {
    /// `tolerance + relative·|reference| + sigmas·sem`.
    #[must_use]
    pub fn width(&self, reference: f64, sem: f64) -> f64 {
        self.tolerance + self.relative * reference.abs() + self.sigmas * sem
    }
}

/// The direction of an ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `[measure]` > `[against]`.
    Greater,
    /// `[measure]` < `[against]`.
    Less,
}

/// The condition of a claim.
#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    /// |mean − value| ≤ allowance(value).
    Matches(f64, Allowance),
    /// lo − allowance(lo) ≤ mean ≤ hi + allowance(hi).
    Range(f64, f64, Allowance),
    /// mean ≥ value − allowance(value).
    AtLeast(f64, Allowance),
    /// mean ≤ value + allowance(value).
    AtMost(f64, Allowance),
    /// mean of the per-replica differences `measure − against` beyond the allowance (0 as
    /// reference) in the given direction.
    Ordering(Order, Allowance),
    /// |mean change from frame 0| ≤ allowance(mean frame-0 value).
    Unchanged(Allowance),
}

/// A verdict with the inequality that decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// True when the condition holds.
    pub pass: bool,
    /// The test as numbers, e.g. `|1.02e8 − 1.0e8| = 2e6 ≤ 5.1e6`.
    pub detail: String,
}

impl Expectation {
    /// What the claim expects, in words, for the report.
    #[must_use]
    pub fn describe(&self) -> String {
        let a = |x: &Allowance| {
            let mut parts = Vec::new();
            if x.tolerance > 0.0 {
                parts.push(format!("{:e}", x.tolerance));
            }
            if x.relative > 0.0 {
                parts.push(format!("{} %", x.relative * 100.0));
            }
            parts.push(format!("{}·SEM", x.sigmas));
            parts.join(" + ")
        };
        match self {
            Expectation::Matches(v, x) => format!("{v:e} ± ({})", a(x)),
            Expectation::Range(lo, hi, x) => format!("in [{lo:e}, {hi:e}] ± ({})", a(x)),
            Expectation::AtLeast(v, x) => format!("≥ {v:e} − ({})", a(x)),
            Expectation::AtMost(v, x) => format!("≤ {v:e} + ({})", a(x)),
            Expectation::Ordering(Order::Greater, x) => {
                format!("greater than [against] by more than {}", a(x))
            }
            Expectation::Ordering(Order::Less, x) => {
                format!("less than [against] by more than {}", a(x))
            }
            Expectation::Unchanged(x) => format!("change from frame 0 within ±({})", a(x)),
        }
    }

    /// The verdict on `s` (for `Unchanged`, `s` summarises the changes and `initial` is
    /// the mean frame-0 value; for `Ordering`, `s` summarises the differences).
    #[must_use]
    pub fn judge(&self, s: &Summary, initial: f64) -> Verdict {
        let m = s.mean;
        let (pass, detail) = match self {
            Expectation::Matches(v, x) => {
                let w = x.width(*v, s.sem);
                let d = (m - v).abs();
                (d <= w, format!("|{m:.6e} − {v:e}| = {d:.3e} ≤ {w:.3e}"))
            }
            Expectation::Range(lo, hi, x) => {
                let (a, b) = (lo - x.width(*lo, s.sem), hi + x.width(*hi, s.sem));
                (m >= a && m <= b, format!("{a:.4e} ≤ {m:.6e} ≤ {b:.4e}"))
            }
            Expectation::AtLeast(v, x) => {
                let a = v - x.width(*v, s.sem);
                (m >= a, format!("{m:.6e} ≥ {a:.4e}"))
            }
            Expectation::AtMost(v, x) => {
                let b = v + x.width(*v, s.sem);
                (m <= b, format!("{m:.6e} ≤ {b:.4e}"))
            }
            Expectation::Ordering(order, x) => {
                let w = x.width(0.0, s.sem);
                match order {
                    Order::Greater => (m > w, format!("mean difference {m:.4e} > {w:.3e}")),
                    Order::Less => (m < -w, format!("mean difference {m:.4e} < −{w:.3e}")),
                }
            }
            Expectation::Unchanged(x) => {
                let w = x.width(initial, s.sem);
                (
                    m.abs() <= w,
                    format!(
                        "|change| = {:.3e} ≤ {w:.3e} (frame 0: {initial:.4e})",
                        m.abs()
                    ),
                )
            }
        };
        Verdict { pass, detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::stats::summarize;

    const X: Allowance = Allowance {
        tolerance: 0.0,
        relative: 0.01,
        sigmas: 3.0,
    };

    #[test]
    fn verdict_conditions_use_the_allowance() {
        // mean 10, SEM 0.1: allowance at 10 is 0.1 + 0.3 = 0.4.
        let s = Summary {
            n: 4,
            mean: 10.0,
            std_dev: 0.2,
            sem: 0.1,
        };
        assert!(Expectation::Matches(10.39, X).judge(&s, 0.0).pass);
        assert!(!Expectation::Matches(10.5, X).judge(&s, 0.0).pass);
        assert!(Expectation::Range(10.2, 11.0, X).judge(&s, 0.0).pass);
        assert!(!Expectation::Range(11.0, 12.0, X).judge(&s, 0.0).pass);
        assert!(Expectation::AtLeast(10.3, X).judge(&s, 0.0).pass);
        assert!(!Expectation::AtMost(9.0, X).judge(&s, 0.0).pass);
        // ordering must beyond the noise: 3 SEM = 0.3.
        assert!(Expectation::Ordering(Order::Greater, X).judge(&s, 0.0).pass);
        assert!(!Expectation::Ordering(Order::Less, X).judge(&s, 0.0).pass);
        let small = summarize(&[0.1, -0.1, 0.2, 0.0]).unwrap();
        assert!(
            !Expectation::Ordering(Order::Greater, X)
                .judge(&small, 0.0)
                .pass
        );
        // unchanged: relative to frame 0 = 200 → 2 + 3 SEM = 2.3 ≥ 1.5; at 10 → 0.4.
        let change = Summary {
            n: 4,
            mean: 1.5,
            std_dev: 0.2,
            sem: 0.1,
        };
        assert!(Expectation::Unchanged(X).judge(&change, 200.0).pass);
        assert!(!Expectation::Unchanged(X).judge(&change, 10.0).pass);
    }
}
