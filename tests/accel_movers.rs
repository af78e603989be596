//! Exact escapes of independent fast movers (`method = "movers"`, factorised basins)
//! against an exact answer: K walkers, each on its own ring with a trap it escapes from.
//!
//! The system is K = 4 disjoint rings of N = 10 sites (the model of `accel_walker.rs`: one
//! atom X per ring, hops w ⇄ w and w ⇄ t at ν = 10¹³ s⁻¹, E_m = 0.5 eV, trap −0.1 eV,
//! T = 500 K; escape from the trap into the vacuum with a fixed barrier of 0.55 eV and the
//! prefactor 10¹³ s⁻¹ / `separation`). Each walker starts opposite its trap. The walkers
//! are independent, so with F(t) the exact escape-time CDF of one ring (eigen-decomposition
//! of its absorbing chain), the first escape has the CDF 1 − (1 − F)^K and the last F^K.
//! The joint basin has 10⁴ states (far above any `max_basin_states`), so only the
//! factorisation can integrate it; every movers step sees four components.
//!
//! The separation is small (30) on purpose: a walker needs a sizeable part of its escape
//! time to forget its start, so a method that does not place the other walkers where they
//! are at the moment of an escape (for example, one that leaves them where they were)
//! delays the later escapes visibly. Detection runs on short windows (100 events, 10
//! executions per direction) so that the movers steps start before the first escape.
//!
//! A clock (a species flipping on an isolated site at 5·10⁶ s⁻¹) is a slow event far from
//! every walker: each of its flips ends a movers step won by the background, at which all
//! four walkers must be placed where they are at that moment.
//!
//! Criteria (N = 4,000 replicas, seeds fixed): the means of the first and the last escape
//! time within 3 SEM of their exact values (∫ of the survival, trapezoids on a fine grid),
//! and both one-sample Kolmogorov–Smirnov statistics below 1.95/√N (α = 0.001); at least
//! 10 movers steps per replica on average, and steps with all four components in at least
//! 60 % of the replicas; no drift of the event table (audit mode after every event in the
//! first 100 replicas, and one audit at the end of every replica). The detector's separation is set to 10⁹, so that the ordinary
//! steps between movers steps are not rate-scaled: this test is about the exact method.
//!
//! Measured (43 s on the loaded machine): first escape −0.23 SEM, KS 0.010 / 0.031; last
//! escape +0.47 SEM, KS 0.012 / 0.031; 86,007 movers steps, 2,964 of 4,000 replicas with
//! four components. Broken on purpose, each failed: leaving the other walkers where they
//! were at the start of a step instead of drawing them (last escape +5.3 SEM, KS 0.035);
//! letting the first escaping component win instead of the earliest (+17 SEM at 1,500
//! replicas).

mod common;

use std::f64::consts::PI;
use std::sync::Arc;

use common::{SEEDS, graph, mean_sem, potential};
use nalgebra::{DMatrix, SymmetricEigen};
use nanokmc::accel::{AccelSettings, Method};
use nanokmc::constants::BOLTZMANN_EV_PER_K;
use nanokmc::engine::Simulation;
use nanokmc::program::Program;
use nanokmc::rng;
use nanokmc::sites::SiteGraph;
use nanokmc::state::SpeciesId;

const T: f64 = 500.0;
const E_HOP: f64 = 0.5;
/// Binding energy of the trap.
const TRAP: f64 = 0.1;
/// Sites per ring.
const N: usize = 10;
/// Rings (independent walkers).
const K: usize = 4;
/// Hop rate over escape prefactor.
const SEPARATION: f64 = 30.0;
/// Rate of the clock's flips [s⁻¹]: a slow event far from every walker that interrupts
/// them every ~200 ns, about the time a walker takes to cross half its ring.
const CLOCK: f64 = 5e6;
/// Replicas run in audit mode.
const AUDITED: u64 = 100;
/// Replicas.
const REPLICAS: u64 = 4_000;

fn walker_potential() -> String {
    format!(
        r#"
[model]
name = "ring-walkers"
[[species]]
name = "X"
[[species]]
name = "Y"
[[species]]
name = "Z"
[[site_kinds]]
name = "c"
allowed = ["Y", "Z"]
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
[[events]]
name = "tick"
type = "change"
species = "Y"
into = "Z"
prefactor = "{CLOCK:e} /s"
migration_energy = "0 eV"
barrier_rule = "fixed"
[[events]]
name = "tock"
type = "change"
species = "Z"
into = "Y"
prefactor = "{CLOCK:e} /s"
migration_energy = "0 eV"
barrier_rule = "fixed"
"#,
        prefactor = 1e13 / SEPARATION,
        barrier = E_HOP + TRAP / 2.0
    )
}

/// `K` rings of `N` sites at unit spacing, 20 Å apart; site 0 of each is the trap.
fn rings() -> Arc<SiteGraph> {
    let radius = 0.5 / (PI / N as f64).sin();
    let mut positions = Vec::new();
    let mut kinds = Vec::new();
    let mut lists: Vec<Vec<Vec<u32>>> = Vec::new();
    for r in 0..K {
        for i in 0..N {
            let a = 2.0 * PI * i as f64 / N as f64;
            positions.push([
                radius * a.cos() + 5.0 + 20.0 * r as f64,
                radius * a.sin() + 5.0,
                0.0,
            ]);
            kinds.push(u16::from(i == 0) + 1);
            let base = (r * N) as u32;
            lists.push(vec![vec![
                base + ((i + N - 1) % N) as u32,
                base + ((i + 1) % N) as u32,
            ]]);
        }
    }
    // the clock: one site of kind `c`, without neighbours.
    positions.push([20.0 * K as f64 + 5.0, 5.0, 0.0]);
    kinds.push(0);
    lists.push(vec![Vec::new()]);
    graph(
        positions,
        kinds,
        &["c", "w", "t"],
        &["nn"],
        &lists,
        [false; 3],
        [20.0 * K as f64 + 10.0, 2.0 * radius + 10.0, 10.0],
    )
}

fn arrhenius(nu: f64, e: f64) -> f64 {
    nu * (-e / (BOLTZMANN_EV_PER_K * T)).exp()
}

/// The escape-time CDF of one ring, walker starting at `N/2`: `F(t) = 1 − Σ_k c_k e^{λ_k t}`.
struct Chain {
    c: Vec<f64>,
    lambda: Vec<f64>,
}

impl Chain {
    fn new() -> Self {
        let kt = BOLTZMANN_EV_PER_K * T;
        let k_ww = arrhenius(1e13, E_HOP);
        let k_wt = arrhenius(1e13, E_HOP - TRAP / 2.0);
        let k_tw = arrhenius(1e13, E_HOP + TRAP / 2.0);
        let k_esc = arrhenius(1e13 / SEPARATION, E_HOP + TRAP / 2.0);
        let mut q = DMatrix::<f64>::zeros(N, N);
        for i in 0..N {
            for j in [(i + N - 1) % N, (i + 1) % N] {
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
        let pi: Vec<f64> = (0..N)
            .map(|i| if i == 0 { (TRAP / kt).exp() } else { 1.0 })
            .collect();
        let s = DMatrix::from_fn(N, N, |i, j| {
            0.5 * ((pi[i] / pi[j]).sqrt() * q[(i, j)] + (pi[j] / pi[i]).sqrt() * q[(j, i)])
        });
        let eig = SymmetricEigen::new(s);
        let start = N / 2;
        let c = (0..N)
            .map(|k| {
                let v = eig.eigenvectors.column(k);
                v[start] / pi[start].sqrt() * (0..N).map(|j| v[j] * pi[j].sqrt()).sum::<f64>()
            })
            .collect();
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

    /// The slowest decay rate [s⁻¹].
    fn slowest(&self) -> f64 {
        self.lambda.iter().map(|l| -l).fold(f64::INFINITY, f64::min)
    }
}

/// `∫₀^∞ (1 − G(t)) dt` by trapezoids over 40 slowest decay times.
fn mean_of(cdf: impl Fn(f64) -> f64, slowest: f64) -> f64 {
    let end = 40.0 / slowest;
    let steps = 200_000;
    let h = end / steps as f64;
    (0..steps)
        .map(|i| {
            let (a, b) = (i as f64 * h, (i + 1) as f64 * h);
            0.5 * h * ((1.0 - cdf(a)) + (1.0 - cdf(b)))
        })
        .sum()
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

#[test]
fn independent_walkers_escape_exactly_with_factorised_basins() {
    let model = Arc::new(potential(&walker_potential()).model);
    let g = rings();
    let settings = AccelSettings {
        method: Method::Movers,
        window: 100,
        min_executions: 10,
        // no rate scaling where the movers steps hand back to ordinary steps: this test
        // is about the exact method alone.
        separation: 1e9,
        ..AccelSettings::default()
    };
    let mut first = Vec::new();
    let mut last = Vec::new();
    let mut with_movers = 0u64;
    let mut steps = 0u64;
    let mut unprofitable = 0u64;
    let started = std::time::Instant::now();
    for r in 0..REPLICAS {
        let mut species = vec![SpeciesId::VACANCY; N * K + 1];
        species[N * K] = SpeciesId(2);
        for k in 0..K {
            species[k * N + N / 2] = SpeciesId(1);
        }
        let mut sim = Simulation::new(
            g.clone(),
            model.clone(),
            species,
            Program::constant(T, 0.0).unwrap(),
            rng::stream(SEEDS[1], r),
        )
        .unwrap();
        sim.enable_acceleration(settings, None).unwrap();
        // audit mode (the event table and neighbour counts against a recomputation after
        // every event) on the first replicas: movers steps apply and undo events in bulk.
        if r < AUDITED {
            sim.set_audit_every(1);
        }
        let mut gone = 0;
        while gone < K as u64 {
            sim.step(f64::INFINITY).unwrap();
            let now = sim.removed()[1..].iter().sum::<u64>();
            if now > gone {
                if gone == 0 {
                    first.push(sim.time());
                }
                gone = now;
            }
        }
        last.push(sim.time());
        assert!(
            sim.audit().is_clean(),
            "replica {r}: the event table drifted"
        );
        let stats = sim.acceleration().unwrap().basin.clone();
        steps += stats.mover_steps;
        unprofitable += stats.unprofitable;
        if stats.mover_steps > 0 && stats.most_movers == K {
            with_movers += 1;
        }
    }
    let chain = Chain::new();
    let k = K as i32;
    let first_cdf = |t: f64| 1.0 - (1.0 - chain.cdf(t)).powi(k);
    let last_cdf = |t: f64| chain.cdf(t).powi(k);
    let critical = 1.95 / (REPLICAS as f64).sqrt();
    for (name, times, cdf) in [
        ("first", first, &first_cdf as &dyn Fn(f64) -> f64),
        ("last", last, &last_cdf),
    ] {
        let exact = mean_of(cdf, chain.slowest());
        let (mean, sem) = mean_sem(&times);
        let d = ks_statistic(times, cdf);
        eprintln!(
            "{name} escape: mean {mean:e} ± {sem:e} s, exact {exact:e} ({:+.2} SEM); KS D = {d:.4} (critical {critical:.4})",
            (mean - exact) / sem
        );
        assert!(
            (mean - exact).abs() < 3.0 * sem,
            "{name} escape: mean {mean:e} ± {sem:e}, exact {exact:e}"
        );
        assert!(d < critical, "{name} escape: KS D = {d} ≥ {critical}");
    }
    eprintln!(
        "{with_movers}/{REPLICAS} replicas took movers steps with {K} components; {steps} movers steps, {unprofitable} not worth it; {:.2?}",
        started.elapsed()
    );
    assert!(
        steps >= 10 * REPLICAS && with_movers as f64 >= 0.6 * REPLICAS as f64,
        "only {steps} movers steps; {with_movers} of {REPLICAS} replicas took them with {K} components"
    );
}
