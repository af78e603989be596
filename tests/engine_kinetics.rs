//! Kinetics of the engine against exact answers: waiting times, selection frequencies,
//! equilibrium occupancy, random-walk diffusion and first passage under a temperature ramp.
//!
//! All tests use fixed seeds. Tolerances are 4 standard errors unless stated (false-failure
//! probability ≈ 6e-5 per assertion for a seed drawn at random; the seeds are fixed, so the
//! outcome is deterministic).

mod common;

use std::sync::Arc;

use common::{
    SEEDS, TWO_SITE, fcc_periodic, graph, mean_sem, min_image, potential, two_site_graph,
};
use nanokmc::constants::BOLTZMANN_EV_PER_K;
use nanokmc::engine::{Simulation, StepOutcome};
use nanokmc::program::{Program, Schedule};
use nanokmc::rng;
use nanokmc::solver::linear::LinearSolver;
use nanokmc::state::SpeciesId;

fn arrhenius(nu: f64, e: f64, t: f64) -> f64 {
    nu * (-e / (BOLTZMANN_EV_PER_K * t)).exp()
}

/// Three sites in a line, an atom in the middle that can hop left (0.30 eV) or right
/// (0.40 eV): the first waiting time has mean 1/(k1+k2) and the left fraction k1/(k1+k2).
#[test]
fn engine_two_events_mean_waiting_time_is_inverse_total_rate() {
    let pot = potential(
        r#"
        [model]
        name = "line"
        [[species]]
        name = "X"
        [[site_kinds]]
        name = "a"
        allowed = ["X"]
        [[site_kinds]]
        name = "m"
        allowed = ["X"]
        [[site_kinds]]
        name = "b"
        allowed = ["X"]
        [[shells]]
        name = "nn"
        pairs = [{ kinds = ["a", "m"], max = "1.5 A" }, { kinds = ["m", "b"], max = "1.5 A" }]
        [[events]]
        name = "left"
        type = "hop"
        species = "X"
        from = "m"
        to = "a"
        shell = "nn"
        prefactor = "1e13 /s"
        migration_energy = "0.30 eV"
        barrier_rule = "fixed"
        reversible = false
        [[events]]
        name = "right"
        type = "hop"
        species = "X"
        from = "m"
        to = "b"
        shell = "nn"
        prefactor = "1e13 /s"
        migration_energy = "0.40 eV"
        barrier_rule = "fixed"
        reversible = false
        "#,
    );
    let g = graph(
        vec![[0.0; 3], [1.0, 0.0, 0.0], [2.0, 0.0, 0.0]],
        vec![0, 1, 2],
        &["a", "m", "b"],
        &["nn"],
        &[vec![vec![1]], vec![vec![0, 2]], vec![vec![1]]],
        [false; 3],
        [3.0, 1.0, 1.0],
    );
    let model = Arc::new(pot.model);
    let t = 600.0;
    let k1 = arrhenius(1e13, 0.30, t);
    let k2 = arrhenius(1e13, 0.40, t);
    let n = 20_000;
    let mut waits = Vec::with_capacity(n);
    let mut left = 0usize;
    for replica in 0..n {
        let mut sim = Simulation::new(
            g.clone(),
            model.clone(),
            vec![SpeciesId(0), SpeciesId(1), SpeciesId(0)],
            Program::constant(t, 0.0).unwrap(),
            rng::stream(SEEDS[0].wrapping_add(replica as u64), 0),
        )
        .unwrap();
        let outcome = sim.step(f64::INFINITY).unwrap();
        let StepOutcome::Event { rule } = outcome else {
            panic!("expected an event, got {outcome:?}");
        };
        waits.push(sim.time());
        if rule == 0 {
            left += 1;
        }
    }
    let (mean, sem) = mean_sem(&waits);
    let exact = 1.0 / (k1 + k2);
    assert!(
        (mean - exact).abs() < 4.0 * sem,
        "mean {mean} vs {exact} ± {sem}"
    );
    let p = k1 / (k1 + k2);
    let frac = left as f64 / n as f64;
    let sigma = (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (frac - p).abs() < 4.0 * sigma,
        "left fraction {frac} vs {p}"
    );
}

/// A vacancy with six atom neighbours on six site kinds, each hop with its own barrier: the
/// first event's frequencies match the rates (χ² with 5 degrees of freedom, threshold 20.5,
/// p = 0.001), with the expected probabilities from the O(N) reference solver.
#[test]
fn engine_selection_frequencies_match_rates_chi_square() {
    let barriers = [0.20, 0.25, 0.30, 0.22, 0.28, 0.35];
    let mut text = String::from(
        "[model]\nname = \"star\"\n[[species]]\nname = \"X\"\n[[site_kinds]]\nname = \"c\"\nallowed = [\"X\"]\n",
    );
    for i in 0..6 {
        text += &format!("[[site_kinds]]\nname = \"k{i}\"\nallowed = [\"X\"]\n");
    }
    text += "[[shells]]\nname = \"nn\"\npairs = [";
    for i in 0..6 {
        text += &format!("{{ kinds = [\"c\", \"k{i}\"], max = \"1.5 A\" }},");
    }
    text += "]\n";
    for (i, e) in barriers.iter().enumerate() {
        text += &format!(
            "[[events]]\nname = \"h{i}\"\ntype = \"hop\"\nspecies = \"X\"\nfrom = \"k{i}\"\nto = \"c\"\nshell = \"nn\"\nprefactor = \"1e12 /s\"\nmigration_energy = \"{e} eV\"\nbarrier_rule = \"fixed\"\nreversible = false\n"
        );
    }
    let pot = potential(&text);
    let mut positions = vec![[0.0; 3]];
    let mut lists = vec![vec![(1..=6).collect::<Vec<u32>>()]];
    for i in 0..6 {
        let angle = i as f64;
        positions.push([angle.cos(), angle.sin(), 0.0]);
        lists.push(vec![vec![0]]);
    }
    let g = graph(
        positions,
        (0..7).collect(),
        &["c", "k0", "k1", "k2", "k3", "k4", "k5"],
        &["nn"],
        &lists,
        [false; 3],
        [3.0, 3.0, 1.0],
    );
    let model = Arc::new(pot.model);
    let t = 400.0;
    let reference = LinearSolver::with_weights(&barriers.map(|e| arrhenius(1e12, e, t)));
    let n = 30_000;
    let mut counts = [0usize; 6];
    let mut species = vec![SpeciesId(1); 7];
    species[0] = SpeciesId(0);
    for replica in 0..n {
        let mut sim = Simulation::new(
            g.clone(),
            model.clone(),
            species.clone(),
            Program::constant(t, 0.0).unwrap(),
            rng::stream(SEEDS[1].wrapping_add(replica as u64), 0),
        )
        .unwrap();
        let StepOutcome::Event { rule } = sim.step(f64::INFINITY).unwrap() else {
            panic!("expected an event");
        };
        counts[rule as usize] += 1;
    }
    let chi2: f64 = (0..6)
        .map(|i| {
            let expected = n as f64 * reference.get(i) / reference.total();
            (counts[i] as f64 - expected).powi(2) / expected
        })
        .sum();
    assert!(chi2 < 20.5, "chi2 = {chi2}, counts {counts:?}");
}

/// Two sites of different on-site energy (ΔE = 0.1 eV) and one atom hopping between them
/// under the Kang–Weinberg rule: the time-weighted occupancy ratio is exp(−ΔE/k_BT).
/// Error from 100 blocks of the run.
#[test]
fn engine_two_site_equilibrium_occupancy_is_boltzmann() {
    let pot = potential(TWO_SITE);
    assert_eq!(pot.model.rules.len(), 2, "the reverse hop is generated");
    let g = two_site_graph();
    let t = 500.0;
    let mut sim = Simulation::new(
        g,
        Arc::new(pot.model),
        vec![SpeciesId(1), SpeciesId(0)],
        Program::constant(t, 0.0).unwrap(),
        rng::stream(SEEDS[2], 0),
    )
    .unwrap();
    let blocks = 100;
    let per_block = 2_000;
    let mut ratios = Vec::new();
    for _ in 0..blocks {
        let (mut time_a, mut time_b) = (0.0, 0.0);
        for _ in 0..per_block {
            let at_a = sim.occupancy().get(nanokmc::sites::SiteId(0)) == SpeciesId(1);
            let before = sim.time();
            sim.step(f64::INFINITY).unwrap();
            let dt = sim.time() - before;
            if at_a {
                time_a += dt;
            } else {
                time_b += dt;
            }
        }
        ratios.push(time_b / time_a);
    }
    let (mean, sem) = mean_sem(&ratios);
    let exact = (-0.1 / (BOLTZMANN_EV_PER_K * t)).exp();
    assert!(
        (mean - exact).abs() < 4.0 * sem + 1e-3 * exact,
        "{mean} ± {sem} vs {exact}"
    );
}

/// One atom on an otherwise empty periodic fcc lattice (a = 1 Å), hop rate k to each of the
/// 12 neighbours at d = a/√2: MSD(t) = 6 D t = 12 k d² t = 6 k t. 300 walkers, ~600 hops
/// each; the mean squared displacement at t agrees within 4 SEM.
#[test]
fn engine_random_walk_msd_is_6dt_on_fcc() {
    let pot = potential(
        r#"
        [model]
        name = "walker"
        [[species]]
        name = "X"
        [[site_kinds]]
        name = "fcc"
        allowed = ["X"]
        [[shells]]
        name = "nn"
        pairs = [{ kinds = ["fcc", "fcc"], max = "0.8 A" }]
        [[events]]
        name = "hop"
        type = "hop"
        species = "X"
        shell = "nn"
        prefactor = "2 /s"
        migration_energy = "0 eV"
        "#,
    );
    let l = 6;
    let g = fcc_periodic(l, false);
    let model = Arc::new(pot.model);
    let k = 2.0;
    let t_end = 50.0;
    let mut msd = Vec::new();
    for walker in 0..300u64 {
        let mut species = vec![SpeciesId(0); g.len()];
        species[0] = SpeciesId(1);
        let mut sim = Simulation::new(
            g.clone(),
            model.clone(),
            species,
            Program::constant(300.0, 0.0).unwrap(),
            rng::stream(SEEDS[0].wrapping_add(walker), 0),
        )
        .unwrap();
        let mut r = [0.0f64; 3];
        loop {
            let outcome = sim.step(t_end).unwrap();
            if let StepOutcome::Event { .. } = outcome {
                let e = sim.last_event().unwrap();
                // change 0 is the mover's old site, change 1 its new site.
                let from = g.position(e.changes()[0].site);
                let to = g.position(e.changes()[1].site);
                let d = min_image(from, to, l as f64);
                for i in 0..3 {
                    r[i] += d[i];
                }
            }
            if sim.time() >= t_end {
                break;
            }
        }
        msd.push(r.iter().map(|x| x * x).sum::<f64>());
    }
    let (mean, sem) = mean_sem(&msd);
    let exact = 6.0 * k * t_end;
    assert!(
        (mean - exact).abs() < 4.0 * sem,
        "MSD {mean} ± {sem} vs {exact}"
    );
}

/// One atom that evaporates with a fixed barrier (1.0 eV, ν = 1e13 /s) while T rises
/// linearly from 250 K at 1 K/s: the first-passage time distribution follows
/// F(t) = 1 − exp(−∫₀ᵗ k(T(s)) ds). Kolmogorov–Smirnov over 4000 replicas, critical value
/// 1.95/√N (α = 0.001). This checks the exact stepping under T(t), not a Δt cap.
#[test]
fn engine_first_passage_under_linear_ramp_matches_analytic() {
    let pot = potential(
        r#"
        [model]
        name = "desorption"
        [[species]]
        name = "X"
        [[site_kinds]]
        name = "s"
        allowed = ["X"]
        [[events]]
        name = "leave"
        type = "remove"
        species = "X"
        prefactor = "1e13 /s"
        migration_energy = "1.0 eV"
        barrier_rule = "fixed"
        "#,
    );
    let g = graph(
        vec![[0.0; 3]],
        vec![0],
        &["s"],
        &[],
        &[vec![]],
        [false; 3],
        [1.0; 3],
    );
    let model = Arc::new(pot.model);
    let program = Program::new(
        Schedule::from_points(vec![(0.0, 250.0), (250.0, 500.0)]).unwrap(),
        Schedule::constant(0.0),
    )
    .unwrap();
    let n = 4000;
    let mut times = Vec::with_capacity(n);
    let mut null_events = 0;
    for replica in 0..n {
        let mut sim = Simulation::new(
            g.clone(),
            model.clone(),
            vec![SpeciesId(1)],
            program.clone(),
            rng::stream(SEEDS[1].wrapping_add(replica as u64), 0),
        )
        .unwrap();
        while sim.executed() == 0 {
            sim.step(1e6).unwrap();
        }
        null_events += sim.null_events();
        times.push(sim.time());
    }
    times.sort_by(f64::total_cmp);
    // analytic CDF on a fine grid (trapezoid rule, error far below the KS resolution).
    let rate = |t: f64| arrhenius(1e13, 1.0, 250.0 + t.min(250.0));
    let dt = 0.001;
    let cdf = |t: f64| {
        let steps = (t / dt).ceil() as usize;
        let h = t / steps.max(1) as f64;
        let mut integral = 0.0;
        for i in 0..steps {
            let a = i as f64 * h;
            integral += 0.5 * h * (rate(a) + rate(a + h));
        }
        1.0 - (-integral).exp()
    };
    let mut d_max = 0.0f64;
    // evaluate the CDF incrementally to keep the test fast.
    let mut integral = 0.0;
    let mut t_prev = 0.0;
    for (i, &t) in times.iter().enumerate() {
        let steps = ((t - t_prev) / dt).ceil().max(1.0) as usize;
        let h = (t - t_prev) / steps as f64;
        for s in 0..steps {
            let a = t_prev + s as f64 * h;
            integral += 0.5 * h * (rate(a) + rate(a + h));
        }
        t_prev = t;
        let f = 1.0 - (-integral).exp();
        let lo = i as f64 / n as f64;
        let hi = (i + 1) as f64 / n as f64;
        d_max = d_max.max((f - lo).abs()).max((hi - f).abs());
    }
    let critical = 1.95 / (n as f64).sqrt();
    assert!(d_max < critical, "KS D = {d_max} ≥ {critical}");
    // the event happens during the ramp, where thinning is active.
    let median = times[n / 2];
    assert!(median > 50.0 && median < 200.0, "median {median}");
    assert!(null_events > 0, "thinning was exercised");
    assert!(cdf(times[n / 2]) > 0.4 && cdf(times[n / 2]) < 0.6);
}
