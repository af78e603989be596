//! Event selection: which event fires, given the rates of all events.
//!
//! In the kMC step (style guide §3) the engine draws `u` in (0, 1] and asks for the event
//! `i` whose slice of the cumulative rate contains `u · R`, where `R` is the total rate:
//! `cumsum(i − 1) ≤ u · R < cumsum(i)`. The selection structures here know nothing of
//! physics: they hold non-negative weights [s⁻¹] indexed by position and answer `total`
//! and `select`. Zero-weight entries (disabled events, empty slots) are never selected.
//!
//! # Strategies
//! - [`sum_tree::SumTree`] (default): a complete binary tree of partial sums stored in a
//!   flat array, O(log n) `set` and `select`, O(1) `total` [SPPARKS `solve_tree`]. Every
//!   internal node is recomputed from its children on update, so the tree holds the same
//!   sums whatever the order of updates (no drift).
//! - [`linear::LinearSolver`]: the O(n) reference with the same API, used in tests and for
//!   tiny systems.
//! - [`classes::RateClasses`] (what the engine uses): events grouped into classes of equal
//!   rule and barrier, O(1) membership updates, class chosen by its total, member chosen
//!   uniformly. A temperature change costs O(classes).
//!
//! # Floating-point edges
//! Both solvers return the last non-zero entry when the target is at or above the total
//! (possible through rounding of `u · R`), clamp negative targets to 0, and return `None`
//! when all weights are zero or the target is NaN.
//!
//! # References
//! - SPPARKS kinetic Monte Carlo code, `src/solve_tree.cpp`, Sandia National Laboratories
//!   (S. Plimpton et al.), <https://spparks.github.io>.

pub mod classes;
pub mod linear;
pub mod sum_tree;
