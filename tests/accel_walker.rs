//! Acceleration against an exact answer: a walker on a ring with a trap it escapes from.
//!
//! One atom X walks on a ring of N sites: site 0 is a trap (kind `t`, on-site energy
//! −0.1 eV), the others are of kind `w`. Hops w ⇄ w (one self-reverse rule) and w ⇄ t (a
//! rule and its generated reverse: two scalable channels) are fast (ν = 10¹³ s⁻¹,
//! E_m = 0.5 eV, Kang–Weinberg, T = 500 K); from the trap the atom escapes into the vacuum
//! with a fixed barrier of 0.55 eV and the prefactor 10¹³ s⁻¹ / `separation`. The walker
//! starts opposite the trap.
//!
//! The exact survival S(t) = p₀ᵀ exp(Qt) 1 of the absorbing chain (generator Q of the N
//! transient states) comes from the eigen-decomposition of the symmetrised generator
//! D^{1/2} Q D^{−1/2} (D = Boltzmann weights: the hops obey detailed balance and the
//! escape only adds to a diagonal entry), built with nalgebra; the mean is
//! Σ_k c_k / (−λ_k).
//!
//! Criteria, for every case: the mean escape time over the replicas within 4 SEM of the
//! exact mean (false-alarm probability 6·10⁻⁵ for an exact engine; the seeds are fixed),
//! the one-sample Kolmogorov–Smirnov statistic against the exact CDF below 1.95/√n
//! (α = 0.001), and the hops scaled (a factor < 1 at the escape) in the stated share of the
//! replicas. Cases (measured: mean deviation, KS D / critical value, run time alone):
//! - 10 sites, default settings, separation 10⁴ (an unscaled replica needs ~7.6·10⁴
//!   events, so the first 2·10⁴-event detection window completes in most of them; ≥ 50 %
//!   scaled), 500 replicas: +0.1 SEM, 0.023 / 0.087, ~3 s;
//! - 10 sites, default settings, separation 10⁶ (factors 2⁻¹⁵; ≥ 99 % scaled: an escape
//!   within the first window has probability ≈ 0.3 %; an unscaled run would need ~7.6·10⁶
//!   events per replica), 1,200 replicas: +0.1 SEM, 0.022 / 0.056, ~6 s;
//! - 20 sites, separation setting 10³, separation 10⁶, 1,200 replicas: +0.8 SEM,
//!   0.019 / 0.056, ~5 s.
//! - 20 sites, `method = basin` with the other settings at their defaults (the ring is a
//!   20-state basin, solved exactly), separation 10⁶, 1,200 replicas: −1.3 SEM,
//!   0.030 / 0.056, ~6 s.
//! - 300 sites, `method = basin`, `max_basin_states = 512` (a 300-state basin: kinetic path
//!   sampling), separation 10⁴, `separation` setting 10⁹ (no factor below 1, so the
//!   fallback steps are plain kMC), 1,000 replicas: +1.2 SEM, 0.038 / 0.062, ~100 s under
//!   load. With the default setting (100) the fallback's rate scaling showed: −1.9 SEM,
//!   KS 0.058 / 0.036 over 3,000 replicas (docs/acceleration.md).
//!
//! Limitation of rate scaling found here (docs/acceleration.md, "When to trust it"): with
//! the default separation 100 the 20-site ring gave +14.7 % (4.6 SEM, KS 0.067 / 0.056,
//! seed SEEDS[2], 1,200 replicas). The detector scaled the hops by 2⁻¹⁶ (w ⇄ w) and 2⁻¹⁵
//! (w ⇄ t), which keeps their total propensity 100–200 times the escape rate, but the
//! ring's slowest relaxation rate is only (1 − cos 2π/N) ≈ 5 % of its total hop
//! propensity: the exact chain with those factors escapes 12.3 % more slowly than the
//! physical one (1.6 % on the 10-site ring). The separation compares total rates, not
//! relaxation rates, so a channel that needs many steps to equilibrate needs a larger
//! separation (10³ here), or the exact basin escape.

mod common;

use std::f64::consts::PI;
use std::sync::Arc;

use common::{SEEDS, graph, mean_sem, potential};
use nalgebra::{DMatrix, SymmetricEigen};
use nanokmc::accel::AccelSettings;
use nanokmc::constants::BOLTZMANN_EV_PER_K;
use nanokmc::engine::Simulation;
use nanokmc::model::Model;
use nanokmc::program::Program;
use nanokmc::rng;
use nanokmc::sites::SiteGraph;
use nanokmc::state::SpeciesId;

const T: f64 = 500.0;
const E_HOP: f64 = 0.5;
/// Binding energy of the trap.
const TRAP: f64 = 0.1;

fn walker_potential(separation: f64) -> String {
    format!(
        r#"
[model]
name = "ring-walker"
[[species]]
name = "X"
[[site_kinds]]
name = "w"
allowed = ["X"]
[[site_kinds]]
name = "t"
allowed = ["X"]
[[shells]]
name = "nn"
pairs = [{{ kinds = ["w", "w"], max = "1.5 A" }}, {{ kinds = ["w", "t"], max = "1.5 A" }}]
[energy]
onsite = [{{ species = "X", kind = "t", value = "-{TRAP} eV" }}]
[[events]]
name = "hop"
type = "hop"
species = "X"
from = "w"
to = "w"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "{E_HOP} eV"
[[events]]
name = "hop_trap"
type = "hop"
species = "X"
from = "w"
to = "t"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "{E_HOP} eV"
[[events]]
name = "escape"
type = "remove"
species = "X"
from = "t"
prefactor = "{prefactor:e} /s"
migration_energy = "{barrier} eV"
barrier_rule = "fixed"
"#,
        prefactor = 1e13 / separation,
        barrier = E_HOP + TRAP / 2.0
    )
}

/// A ring of `n` sites at unit spacing, site 0 of kind `t`, the rest of kind `w`.
fn ring(n: usize) -> Arc<SiteGraph> {
    let radius = 0.5 / (PI / n as f64).sin();
    let positions = (0..n)
        .map(|i| {
            let a = 2.0 * PI * i as f64 / n as f64;
            [radius * a.cos() + 5.0, radius * a.sin() + 5.0, 0.0]
        })
        .collect();
    let mut kinds = vec![0u16; n];
    kinds[0] = 1;
    let lists: Vec<Vec<Vec<u32>>> = (0..n)
        .map(|i| vec![vec![((i + n - 1) % n) as u32, ((i + 1) % n) as u32]])
        .collect();
    graph(
        positions,
        kinds,
        &["w", "t"],
        &["nn"],
        &lists,
        [false; 3],
        [2.0 * radius + 10.0; 3],
    )
}

fn arrhenius(nu: f64, e: f64) -> f64 {
    nu * (-e / (BOLTZMANN_EV_PER_K * T)).exp()
}

/// The exact chain on a ring of `n` sites, walker starting at `n/2`, with the w ⇄ w hops
/// scaled by `f_ww` and the w ⇄ t hops by `f_wt`.
struct Chain {
    /// Survival S(t) = Σ_k c_k exp(λ_k t) from the start site.
    c: Vec<f64>,
    lambda: Vec<f64>,
}

impl Chain {
    fn new(n: usize, separation: f64, f_ww: f64, f_wt: f64) -> Self {
        let start = n / 2;
        let kt = BOLTZMANN_EV_PER_K * T;
        let k_ww = f_ww * arrhenius(1e13, E_HOP);
        let k_wt = f_wt * arrhenius(1e13, E_HOP - TRAP / 2.0);
        let k_tw = f_wt * arrhenius(1e13, E_HOP + TRAP / 2.0);
        let k_esc = arrhenius(1e13 / separation, E_HOP + TRAP / 2.0);
        let mut q = DMatrix::<f64>::zeros(n, n);
        for i in 0..n {
            for j in [(i + n - 1) % n, (i + 1) % n] {
                let k = if i == 0 {
                    k_tw
                } else if j == 0 {
                    k_wt
                } else {
                    k_ww
                };
                q[(i, j)] += k;
                q[(i, i)] -= k;
            }
        }
        q[(0, 0)] -= k_esc;
        // Boltzmann weights of the hop chain: Q_ij π_i = Q_ji π_j.
        let pi: Vec<f64> = (0..n)
            .map(|i| if i == 0 { (TRAP / kt).exp() } else { 1.0 })
            .collect();
        let s = DMatrix::from_fn(n, n, |i, j| {
            let sym = (pi[i] / pi[j]).sqrt() * q[(i, j)];
            let transposed = (pi[j] / pi[i]).sqrt() * q[(j, i)];
            0.5 * (sym + transposed)
        });
        let eig = SymmetricEigen::new(s);
        let mut c = Vec::with_capacity(n);
        for k in 0..n {
            let v = eig.eigenvectors.column(k);
            let left = v[start] / pi[start].sqrt();
            let right: f64 = (0..n).map(|j| v[j] * pi[j].sqrt()).sum();
            c.push(left * right);
        }
        Chain {
            c,
            lambda: eig.eigenvalues.iter().copied().collect(),
        }
    }

    fn cdf(&self, t: f64) -> f64 {
        1.0 - self
            .c
            .iter()
            .zip(&self.lambda)
            .map(|(c, l)| c * (l * t).exp())
            .sum::<f64>()
    }

    fn mean(&self) -> f64 {
        self.c.iter().zip(&self.lambda).map(|(c, l)| -c / l).sum()
    }

    /// The slowest decay rate: the escape rate of an equilibrated walker.
    fn quasi_stationary_rate(&self) -> f64 {
        self.lambda.iter().map(|l| -l).fold(f64::INFINITY, f64::min)
    }
}

fn rule(model: &Model, name: &str) -> usize {
    model.rules.iter().position(|r| r.name == name).unwrap()
}

/// Escape time of each replica on a ring of `n` sites, the factors (w ⇄ w, w ⇄ t) in
/// force at the escape, and the number of replicas whose escape was drawn by kinetic path
/// sampling (every basin of the replica solved exactly and at least one by paths).
fn escapes(
    n: usize,
    separation: f64,
    replicas: u64,
    settings: AccelSettings,
) -> (Vec<f64>, Vec<[f64; 2]>, u64) {
    let model = Arc::new(potential(&walker_potential(separation)).model);
    let (ww, wt, tw) = (
        rule(&model, "hop"),
        rule(&model, "hop_trap"),
        rule(&model, "hop_trap~reverse"),
    );
    let g = ring(n);
    let mut times = Vec::new();
    let mut factors = Vec::new();
    let mut by_paths = 0;
    for r in 0..replicas {
        let mut species = vec![SpeciesId::VACANCY; n];
        species[n / 2] = SpeciesId(1);
        let mut sim = Simulation::new(
            g.clone(),
            model.clone(),
            species,
            Program::constant(T, 0.0).unwrap(),
            rng::stream(SEEDS[2], r),
        )
        .unwrap();
        sim.enable_acceleration(settings, None).unwrap();
        while sim.removed().iter().sum::<u64>() == 0 {
            sim.step(f64::INFINITY).unwrap();
        }
        let scale = sim.group_scaling();
        assert_eq!(scale[wt], scale[tw], "a channel is scaled alike both ways");
        factors.push([scale[ww], scale[wt]]);
        times.push(sim.time());
        let b = &sim.acceleration().unwrap().basin;
        if b.paths > 0 && b.exact == b.solved {
            by_paths += 1;
        }
    }
    (times, factors, by_paths)
}

/// One-sample Kolmogorov–Smirnov statistic of `x` against `cdf`.
fn ks_statistic(mut x: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    x.iter()
        .enumerate()
        .map(|(i, &t)| {
            let f = cdf(t);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

/// Runs `replicas` walkers on a ring of `n` sites at `separation` (hop/escape) with
/// `settings` and checks the mean (4 SEM) and the distribution (KS, α = 0.001) of the
/// escape time against the exact chain, that at least `min_scaled` of the replicas
/// escaped with scaled hops, and at least `min_paths` by kinetic path sampling.
fn check_escape_times(
    n: usize,
    separation: f64,
    replicas: u64,
    settings: AccelSettings,
    min_scaled: f64,
    min_paths: f64,
) {
    let exact = Chain::new(n, separation, 1.0, 1.0);
    let started = std::time::Instant::now();
    let (times, factors, by_paths) = escapes(n, separation, replicas, settings);
    let elapsed = started.elapsed();
    let scaled: Vec<&[f64; 2]> = factors
        .iter()
        .filter(|f| f[0] < 1.0 || f[1] < 1.0)
        .collect();
    // the escape rate of an equilibrated walker under the factors of the last scaled
    // replica, relative to the physical one: the systematic error of those factors.
    let systematic = scaled.last().map_or(1.0, |f| {
        Chain::new(n, separation, f[0], f[1]).quasi_stationary_rate()
            / exact.quasi_stationary_rate()
    });
    let (mean, sem) = mean_sem(&times);
    let d = ks_statistic(times, |t| exact.cdf(t));
    let critical = 1.95 / (replicas as f64).sqrt();
    eprintln!(
        "ring of {n}, separation {separation:e}, setting {}: mean escape time {mean:e} ± {sem:e} s, exact {:e} ({:+.2} SEM); KS D = {d:.4} (critical {critical:.4}); {}/{replicas} replicas scaled, last factors {:?} (exact equilibrated escape rate ×{systematic:.4}); {by_paths} by path sampling; {elapsed:.2?}",
        settings.separation,
        exact.mean(),
        (mean - exact.mean()) / sem,
        scaled.len(),
        scaled.last()
    );
    assert!(
        (mean - exact.mean()).abs() < 4.0 * sem,
        "ring of {n}, separation {separation:e}: mean {mean:e} ± {sem:e}, exact {:e}",
        exact.mean()
    );
    assert!(
        d < critical,
        "ring of {n}, separation {separation:e}: KS D = {d} ≥ {critical}"
    );
    assert!(
        scaled.len() as f64 >= min_scaled * replicas as f64,
        "ring of {n}, separation {separation:e}: only {} of {replicas} replicas were scaled",
        scaled.len()
    );
    assert!(
        by_paths as f64 >= min_paths * replicas as f64,
        "ring of {n}, separation {separation:e}: only {by_paths} of {replicas} replicas used path sampling"
    );
}

#[test]
fn escape_time_on_a_10_site_ring_is_exact_with_default_settings() {
    // at 10⁴ an unscaled replica needs ~7.6·10⁴ events, so the first detection window
    // (2·10⁴ events) completes in most replicas; at 10⁶ an escape before it has
    // probability ≈ 0.3 %.
    check_escape_times(10, 1e4, 500, AccelSettings::default(), 0.5, 0.0);
    check_escape_times(10, 1e6, 1_200, AccelSettings::default(), 0.99, 0.0);
}

#[test]
fn escape_time_on_a_20_site_ring_is_exact_with_separation_1e3() {
    let settings = AccelSettings {
        separation: 1e3,
        ..AccelSettings::default()
    };
    check_escape_times(20, 1e6, 1_200, settings, 0.99, 0.0);
}

/// The ring is a 20-state basin: the exact escape needs no separation at all (rate
/// scaling needs 10³ here, see the module documentation).
#[test]
fn escape_time_on_a_20_site_ring_is_exact_with_basins() {
    let settings = AccelSettings {
        method: nanokmc::accel::Method::Basin,
        ..AccelSettings::default()
    };
    check_escape_times(20, 1e6, 1_200, settings, 0.99, 0.0);
}

/// A ring of 300 sites is a 300-state basin, above the dense solver's 256 states: the
/// escape is drawn by kinetic path sampling (`max_basin_states = 512`). Separation 10⁴
/// (about 2·10⁶ hops per escape, so the first 2·10⁴-event detection window ends long
/// before it). N = 1,000 replicas; the mean within 4 SEM of the exact chain's, KS against
/// its CDF below 1.95/√N (α = 0.001), and at least 95 % of the replicas escaped through a
/// path-sampled basin with every basin solved by the exact law.
#[test]
fn escape_time_on_a_300_site_ring_is_exact_with_path_sampling() {
    let settings = AccelSettings {
        method: nanokmc::accel::Method::Basin,
        max_basin_states: 512,
        separation: 1e9,
        ..AccelSettings::default()
    };
    check_escape_times(300, 1e4, 1_000, settings, 0.0, 0.95);
}
