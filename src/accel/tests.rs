//! Unit tests of the detector's decisions and of the separation loss.
#![allow(clippy::float_cmp)]

use super::*;

#[test]
fn quantize_rounds_up_to_powers_of_two() {
    assert_eq!(quantize(1.0), 1.0);
    assert_eq!(quantize(0.5), 0.5);
    assert_eq!(quantize(0.3), 0.5);
    assert_eq!(quantize(1e-3), 2f64.powi(-9));
}

#[test]
fn loss_of_heating_follows_the_barrier_difference() {
    let law = RateLaw::Thermal {
        prefactor: 1e13,
        migration_energy: 0.0,
        barrier_rule: crate::model::BarrierRule::Fixed,
        reference_energy: 0.0,
    };
    let a = Environment {
        temperature: 600.0,
        beam_flux: 0.0,
        beam_energy: 0.0,
    };
    let b = Environment {
        temperature: 620.0,
        beam_flux: 0.0,
        beam_energy: 0.0,
    };
    let loss = separation_loss(a, b, [(law, 1.5)].into_iter(), [(law, 0.5)].into_iter());
    let expected = (1.0 / BOLTZMANN_EV_PER_K * (1.0 / 600.0 - 1.0 / 620.0)).exp();
    assert!((loss / expected - 1.0).abs() < 1e-12);
    // cooling only widens the separation.
    assert_eq!(
        separation_loss(b, a, [(law, 1.5)].into_iter(), [(law, 0.5)].into_iter()),
        1.0
    );
    // a beam turning on.
    let beam = RateLaw::Beam { cross_section: 1.0 };
    let on = Environment {
        temperature: 600.0,
        beam_flux: 10.0,
        beam_energy: 0.0,
    };
    assert_eq!(
        separation_loss(a, on, [(beam, 0.0)].into_iter(), [(law, 0.5)].into_iter()),
        f64::INFINITY
    );
}

/// A model of one self-reverse hop (a scalable channel, rule 0) and one removal (slow,
/// rule 1).
fn hop_and_leave() -> Model {
    let text = r#"
[model]
name = "hop_and_leave"
[[species]]
name = "A"
[[site_kinds]]
name = "s"
allowed = ["A"]
[[shells]]
name = "nn"
pairs = [{ kinds = ["s", "s"], max = "1.1 A" }]
[[events]]
name = "hop"
type = "hop"
species = "A"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.5 eV"
[[events]]
name = "leave"
type = "remove"
species = "A"
prefactor = "1e13 /s"
migration_energy = "1.5 eV"
"#;
    crate::potential::compile(&crate::input::Source::from_text("test.toml", text))
        .expect("test potential compiles")
        .model
}

/// Runs one detection window of `hops` hop executions over 1 s with total propensities
/// `hop` and `leave` [1/s] (the hop running at `factor`) and returns the hop's new factor.
fn window(d: &mut Detector, hops: u64, hop: f64, leave: f64, factor: f64) -> f64 {
    for _ in 0..hops {
        let _ = d.record_event(0, factor);
    }
    d.record_time(1.0, |each| {
        each(0, hop);
        each(1, leave);
    });
    let env = Environment {
        temperature: 500.0,
        beam_flux: 0.0,
        beam_energy: 0.0,
    };
    d.decide(0.0, env, &[factor, 1.0]).group_factors[0]
}

/// A window with no slow propensity keeps the factor decided before (it neither returns to
/// 1 nor falls to `min_factor`); a window with slow propensity sets it from the separation;
/// a window in which the channel is not quasi-equilibrated returns it to 1. Broken on
/// purpose (2026-12-07, session 11: the old rule, factor 1 without a slow rate): the second
/// window's factor came out 1.
#[test]
fn a_window_without_slow_events_keeps_the_factor() {
    let model = hop_and_leave();
    let mut d = Detector::new(AccelSettings::default(), &model, 1, None).unwrap();
    // physical hop propensity 1e6 /s against 1 /s of leaving: separation 100 wants
    // f = 100 · 1 / 1e6 = 1e-4, rounded up to 2^-13.
    let f1 = window(&mut d, 1000, 1e6, 1.0, 1.0);
    assert_eq!(f1, 2f64.powi(-13));
    // nothing slow: the factor stays.
    let f2 = window(&mut d, 1000, 1e6 * f1, 0.0, f1);
    assert_eq!(f2, f1);
    // slow again, ten times faster: the factor follows the separation.
    let f3 = window(&mut d, 1000, 1e6 * f2, 10.0, f2);
    assert_eq!(f3, 2f64.powi(-9));
    // too few hops to judge: back to 1.
    let f4 = window(&mut d, 10, 1e6 * f3, 0.0, f3);
    assert_eq!(f4, 1.0);
    // no slow propensity and no factor decided yet: 1.
    let mut fresh = Detector::new(AccelSettings::default(), &model, 1, None).unwrap();
    assert_eq!(window(&mut fresh, 1000, 1e6, 0.0, 1.0), 1.0);
}
