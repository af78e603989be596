//! Acceleration on a CdSe-like exchange model: accelerated and unaccelerated runs give the
//! same kinetics.
//!
//! The model follows `potentials/cu_exchange_demo.toml` (wurtzite CdSe with T⁻ and O holes
//! of one kind `hole`, Cu on cation sites −0.2 eV, Cd on holes +0.3 eV) with barriers
//! lowered so that an unaccelerated run is affordable at 350 °C: Cu interstitial hops
//! (0.55 eV, ~3.6·10⁸ s⁻¹ per neighbour), Cd interstitial hops (0.60 eV), the kick-out
//! exchange Cu_i + Cd_Cd ⇄ Cu_Cd + Cd_i (0.85 eV + ΔE/2, ΔE = +0.1 eV, with its generated
//! reverse: ~10³ times slower than the hops) and the irreversible evaporation of Cd from
//! surface holes (≤ 3 Se in the cage, fixed 0.90 eV). A sphere of radius 18 Å (1,762 sites,
//! 447 cation sites) starts with Cu on 5 % of the holes (43 atoms). Potential and scenario
//! are inline (`scenario::compile_texts`).
//!
//! Observables at 8 times from 0.25 to 5 µs: the exchanged fraction x(t) = (Cu on cation
//! sites) / (cation sites) (the first detection window ends at ~0.35 µs; x rises to ~0.07
//! of a maximum 0.096 by 5 µs) and the number of Cd atoms evaporated (~11 by 5 µs), each
//! averaged over 20 replicas without acceleration and 20 independent replicas (other
//! initial placements and streams) with the default settings. Criterion at every time and
//! for both: |mean_acc − mean_plain| < 4·sqrt(SEM_acc² + SEM_plain²) (for exact
//! acceleration, false-alarm probability ≈ 10⁻³ over the 16 comparisons, treating them as
//! independent; the seeds are fixed). The accelerated runs must have scaled the Cu hops
//! (a factor < 1 decided) in every replica and executed fewer than half the events of the
//! unaccelerated ones. The two sets run on two threads.
//!
//! Measured (~10 s): the Cu hops are scaled down to 2⁻⁴ (the Cd hops are scaled too);
//! 2.6·10⁵ events per replica plain, 6.5·10⁴ accelerated; the largest deviation is +2.0
//! combined SEM (x at 3 µs), all others within ±1.3. With 100 + 100 replicas (not run
//! here, 45 s) every point of x agrees within ±0.75 combined SEM (≈ ±0.9 % of x).

mod common;

use common::mean_sem;
use nanokmc::accel::AccelSettings;
use nanokmc::engine::Simulation;
use nanokmc::input::Source;
use nanokmc::rng;
use nanokmc::scenario::{self, Scenario};
use nanokmc::sites::SiteId;

const POTENTIAL: &str = r#"
[model]
name = "exchange_test"
description = "cu_exchange_demo with barriers lowered for an affordable unaccelerated run"
[[species]]
name = "Cd"
[[species]]
name = "Se"
[[species]]
name = "Cu"
[[phases]]
name = "CdSe"
structure = "wurtzite"
a = "4.299 A"
c = "7.01 A"
u = 0.375
roles = { cation = "cation", anion = "anion", tet_empty = "hole", oct = "hole" }
fill = { cation = "Cd", anion = "Se" }
[[site_kinds]]
name = "cation"
allowed = ["Cd", "Cu"]
[[site_kinds]]
name = "anion"
allowed = ["Se"]
[[site_kinds]]
name = "hole"
allowed = ["Cu", "Cd"]
[[shells]]
name = "hop"
pairs = [{ kinds = ["hole", "hole"], max = "3.7 A" }]
[[shells]]
name = "kick"
pairs = [{ kinds = ["cation", "hole"], max = "2.9 A" }]
[[shells]]
name = "cage"
pairs = [{ kinds = ["hole", "anion"], max = "3.2 A" }]
[energy]
onsite = [
  { species = "Cu", kind = "cation", value = "-0.20 eV" },
  { species = "Cd", kind = "hole", value = "0.30 eV" },
]
[[events]]
name = "cu_hop"
type = "hop"
species = "Cu"
from = "hole"
to = "hole"
shell = "hop"
prefactor = "1e13 /s"
migration_energy = "0.55 eV"
[[events]]
name = "cd_hop"
type = "hop"
species = "Cd"
from = "hole"
to = "hole"
shell = "hop"
prefactor = "1e13 /s"
migration_energy = "0.60 eV"
[[events]]
name = "kick_out"
type = "exchange"
species = "Cu"
from = "hole"
with = "Cd"
to = "cation"
shell = "kick"
prefactor = "1e13 /s"
migration_energy = "0.85 eV"
[[events]]
name = "cd_evaporation"
type = "remove"
species = "Cd"
from = "hole"
prefactor = "1e13 /s"
migration_energy = "0.90 eV"
barrier_rule = "fixed"
conditions = [{ shell = "cage", species = ["Se"], max = 3 }]
"#;

const SCENARIO: &str = r#"
[scenario]
name = "exchange_test"
potential = "exchange_test_potential.toml"
seed = 20261122
[[geometry.particles]]
name = "ball"
phase = "CdSe"
shape = { type = "sphere", radius = "18 A" }
[[initial]]
domain = "ball"
kind = "hole"
set = "Cu"
fraction = 0.05
[program]
temperature = "350 C"
[stop]
time = "5 us"
"#;

/// Measurement times [s].
const TIMES: [f64; 8] = [0.25e-6, 0.5e-6, 1e-6, 1.5e-6, 2e-6, 3e-6, 4e-6, 5e-6];
const REPLICAS: u32 = 20;

/// What one set of replicas measured.
struct Set {
    /// x(t_k) per replica.
    fractions: Vec<[f64; TIMES.len()]>,
    /// Cd atoms evaporated by t_k, per replica.
    evaporated: Vec<[f64; TIMES.len()]>,
    events: Vec<u64>,
    /// Smallest Cu-hop factor decided in each replica (1 when never scaled).
    smallest_cu_factor: Vec<f64>,
    saved_events: Vec<f64>,
}

fn run_set(
    scenario: &Scenario,
    replicas: std::ops::Range<u32>,
    accelerated: Option<AccelSettings>,
) -> Set {
    let mut set = Set {
        fractions: Vec::new(),
        evaporated: Vec::new(),
        events: Vec::new(),
        smallest_cu_factor: Vec::new(),
        saved_events: Vec::new(),
    };
    let model = &scenario.potential.model;
    let cation = model.kinds.iter().position(|k| k.name == "cation").unwrap();
    let cu = model.species.find("Cu").unwrap();
    let cd = model.species.find("Cd").unwrap();
    let cu_hop = model.rules.iter().position(|r| r.name == "cu_hop").unwrap();
    for r in replicas {
        let system = scenario.build_system(r).unwrap();
        let cations: Vec<SiteId> = (0..system.graph.len())
            .map(|s| SiteId(s as u32))
            .filter(|&s| system.graph.kind(s).index() == cation)
            .collect();
        let mut sim = Simulation::new(
            system.graph,
            system.model,
            system.species,
            scenario.program.clone(),
            rng::stream(scenario.seed, 2 * u64::from(r) + 1),
        )
        .unwrap();
        if let Some(settings) = accelerated {
            sim.enable_acceleration(settings, None).unwrap();
        }
        let mut x = [0.0; TIMES.len()];
        let mut evaporated = [0.0; TIMES.len()];
        for (k, &t) in TIMES.iter().enumerate() {
            sim.run_until(t).unwrap();
            // one domain: removed[species].
            evaporated[k] = sim.removed()[cd.index()] as f64;
            let exchanged = cations
                .iter()
                .filter(|&&s| sim.occupancy().get(s) == cu)
                .count();
            x[k] = exchanged as f64 / cations.len() as f64;
        }
        set.fractions.push(x);
        set.evaporated.push(evaporated);
        set.events.push(sim.executed());
        let (smallest, saved) = sim.acceleration().map_or((1.0, 0.0), |d| {
            let channel = d
                .channels
                .iter()
                .position(|c| c.forward as usize == cu_hop)
                .unwrap() as u32;
            let smallest = d
                .changes
                .iter()
                .filter(|c| c.channel == channel)
                .map(|c| c.factor)
                .fold(1.0, f64::min);
            (smallest, d.saved_events)
        });
        set.smallest_cu_factor.push(smallest);
        set.saved_events.push(saved);
    }
    set
}

#[test]
fn exchanged_fraction_is_the_same_with_and_without_acceleration() {
    compare(REPLICAS, AccelSettings::default());
}

/// The comparison of issue 13 with 100 + 100 replicas, for rate scaling at the default
/// separation (100) and at twice it, and for `method = "basin"` with basins up to 1,024
/// states (kinetic path sampling above 256; with 43 Cu interstitials the joint basin is far
/// larger, so this measures the basin method's fallback and its cost). Same criterion as
/// above (4 combined SEM at every time). Long (minutes on two cores): run it alone with
/// `cargo test --test accel_exchange -- --ignored --nocapture`.
///
/// Measured (session 8, loaded machine, 226 s in all): every point passes. Largest
/// deviations, in combined SEM: scaling at 100: evaporated Cd −2.95 (1.5 µs), exchanged
/// fraction within ±0.75; at 200: evaporated Cd −2.70 (1.5 µs), fraction within ±1.6;
/// basin: evaporated Cd −2.14 (1.5 µs), fraction +1.91. Evaporated Cd is below the plain
/// runs at most early times in all three (the deficit issue 13 describes); the exact
/// method's own share cannot be told here, as the joint basin of 43 interstitials is
/// too large and the basin method falls back to scaling.
#[test]
#[ignore = "long: 3 × (100 + 100) replicas"]
fn exchanged_fraction_100_plus_100_replicas() {
    compare(100, AccelSettings::default());
    compare(
        100,
        AccelSettings {
            separation: 200.0,
            ..AccelSettings::default()
        },
    );
    compare(
        100,
        AccelSettings {
            method: nanokmc::accel::Method::Basin,
            max_basin_states: 1024,
            ..AccelSettings::default()
        },
    );
}

/// `replicas` plain replicas against `replicas` accelerated with `settings`: the criterion
/// of the module documentation at every time.
fn compare(replicas: u32, settings: AccelSettings) {
    let scenario = scenario::compile_texts(
        Source::from_text("exchange_test.toml", SCENARIO),
        &Source::from_text("exchange_test_potential.toml", POTENTIAL),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let (plain, accelerated) = std::thread::scope(|s| {
        let plain = s.spawn(|| run_set(&scenario, 0..replicas, None));
        let accelerated = s.spawn(|| run_set(&scenario, replicas..2 * replicas, Some(settings)));
        (plain.join().unwrap(), accelerated.join().unwrap())
    });
    eprintln!("settings: {settings:?}");
    let events = |set: &Set| set.events.iter().sum::<u64>() as f64 / f64::from(replicas);
    eprintln!(
        "{replicas} + {replicas} replicas in {:.2?}: events per replica {:.0} plain, {:.0} accelerated (~{:.0} saved); smallest Cu-hop factors {:?}",
        started.elapsed(),
        events(&plain),
        events(&accelerated),
        accelerated.saved_events.iter().sum::<f64>() / f64::from(replicas),
        accelerated.smallest_cu_factor
    );
    let mut failures = Vec::new();
    for (k, t) in TIMES.iter().enumerate() {
        let fraction = |set: &Set| set.fractions.iter().map(|x| x[k]).collect::<Vec<_>>();
        let evaporated = |set: &Set| set.evaporated.iter().map(|x| x[k]).collect::<Vec<_>>();
        for (name, column) in [
            ("exchanged fraction", &fraction as &dyn Fn(&Set) -> Vec<f64>),
            ("evaporated Cd", &evaporated),
        ] {
            let (m_plain, s_plain) = mean_sem(&column(&plain));
            let (m_acc, s_acc) = mean_sem(&column(&accelerated));
            let combined = s_plain.hypot(s_acc);
            eprintln!(
                "t = {:.2} µs: {name} {m_plain:.5} ± {s_plain:.5} plain, {m_acc:.5} ± {s_acc:.5} accelerated ({:+.2} combined SEM)",
                t * 1e6,
                (m_acc - m_plain) / combined
            );
            // (both SEMs are 0 only if every replica counted the same: then the means must
            // be equal.)
            let differ = if combined > 0.0 {
                (m_acc - m_plain).abs() >= 4.0 * combined
            } else {
                m_acc != m_plain
            };
            if differ {
                failures.push(format!(
                    "t = {t:e} s: {name} {m_acc} ± {s_acc} vs {m_plain} ± {s_plain}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
    assert!(
        accelerated.smallest_cu_factor.iter().all(|&f| f < 1.0),
        "every accelerated replica must have scaled the Cu hops"
    );
    assert!(
        events(&accelerated) < 0.5 * events(&plain),
        "acceleration must save events"
    );
}
