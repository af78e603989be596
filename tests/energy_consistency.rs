//! The incremental energy change of every event type equals the difference of total
//! energies computed from scratch (proptest, 1e-10 eV absolute), for a model with on-site,
//! two-shell pair and coordination terms and three species plus the vacancy; and applying
//! an event then its reverse restores the configuration and its neighbour counts.

mod common;

use common::{fcc_periodic, potential};
use nanokmc::energy::{BondCounting, EnergyModel, Swap, SwapFamily};
use nanokmc::sites::{ShellId, SiteId};
use nanokmc::state::{Occupancy, SiteChange, SpeciesId};
use proptest::prelude::*;

const MODEL: &str = r#"
[model]
name = "three-species"
[[species]]
name = "A"
[[species]]
name = "B"
[[species]]
name = "C"
[[site_kinds]]
name = "fcc"
allowed = ["A", "B", "C"]
[[shells]]
name = "nn"
pairs = [{ kinds = ["fcc", "fcc"], max = "0.8 A" }]
[[shells]]
name = "nnn"
pairs = [{ kinds = ["fcc", "fcc"], min = "0.9 A", max = "1.1 A" }]
[energy]
onsite = [
  { species = "A", kind = "fcc", value = "0.13 eV" },
  { species = "C", kind = "fcc", value = "-0.4 eV" },
]
bonds = [
  { shell = "nn", species = ["A", "A"], value = "-0.31 eV" },
  { shell = "nn", species = ["A", "B"], value = "-0.17 eV" },
  { shell = "nn", species = ["B", "B"], value = "-0.05 eV" },
  { shell = "nn", species = ["A", "Vac"], value = "0.07 eV" },
  { shell = "nn", species = ["C", "B"], value = "0.21 eV" },
  { shell = "nnn", species = ["A", "A"], value = "0.03 eV" },
  { shell = "nnn", species = ["B", "C"], value = "-0.11 eV" },
]
coordination = [
  { species = "A", shell = "nn", counted = ["A", "B"], table = ["0 eV", "-0.5 eV", "-0.9 eV", "-1.2 eV", "-1.45 eV", "-1.65 eV", "-1.8 eV", "-1.9 eV", "-1.97 eV", "-2.0 eV", "-2.02 eV", "-2.03 eV", "-2.035 eV"] },
  { species = "C", shell = "nn", counted = ["C"], table = ["0.3 eV", "0.2 eV", "0.1 eV", "0 eV", "0 eV", "0 eV", "0 eV", "0 eV", "0 eV", "0 eV", "0 eV", "0 eV", "0 eV"] },
]
"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn energy_delta_equals_difference_of_totals(
        config in proptest::collection::vec(0u8..4, 108),
        site in 0u32..108,
        slot in 0usize..12,
        kind in 0u8..3,
        new_species in 0u8..4,
    ) {
        let pot = potential(MODEL);
        let g = fcc_periodic(3, true);
        let energy = BondCounting::new(&pot.model.energy, pot.model.species.len());
        let species: Vec<SpeciesId> = config.iter().map(|&s| SpeciesId(s)).collect();
        let mut occ = Occupancy::new(&g, &species, 4, vec![ShellId(0), ShellId(1)]).unwrap();
        let a = SiteId(site);
        let changes: Vec<SiteChange> = match kind {
            // swap with a nearest neighbour
            0 => {
                let b = g.neighbor(a, ShellId(0), slot);
                let (sa, sb) = (occ.get(a), occ.get(b));
                prop_assume!(sa != sb);
                vec![
                    SiteChange { site: a, from: sa, to: sb },
                    SiteChange { site: b, from: sb, to: sa },
                ]
            }
            // swap with a second neighbour
            1 => {
                let b = g.neighbor(a, ShellId(1), slot % 6);
                let (sa, sb) = (occ.get(a), occ.get(b));
                prop_assume!(sa != sb);
                vec![
                    SiteChange { site: a, from: sa, to: sb },
                    SiteChange { site: b, from: sb, to: sa },
                ]
            }
            // a single-site change (removal, addition, transmutation)
            _ => {
                let from = occ.get(a);
                prop_assume!(from != SpeciesId(new_species));
                vec![SiteChange { site: a, from, to: SpeciesId(new_species) }]
            }
        };
        let before = energy.total_energy(&g, &occ);
        let delta = energy.delta_energy(&g, &occ, &changes);
        if changes.len() == 2 {
            // the fast swap form agrees with the general one.
            let swap = Swap {
                mover_site: changes[0].site,
                target_site: changes[1].site,
                mover: changes[0].from,
                target: changes[1].from,
                shell: ShellId(kind),
            };
            let fast = energy.delta_energy_swap(&g, &occ, swap);
            prop_assert!((fast - delta).abs() < 1e-10, "swap form {} vs {}", fast, delta);
            // the batch form, owned by either end, agrees too, and a partner's result does
            // not depend on the other partners of the batch.
            for owner_is_mover in [false, true] {
                let (owner, partner) = if owner_is_mover {
                    (changes[0].site, changes[1].site)
                } else {
                    (changes[1].site, changes[0].site)
                };
                let family = SwapFamily {
                    owner,
                    owner_is_mover,
                    mover: changes[0].from,
                    target: changes[1].from,
                    shell: ShellId(kind),
                };
                let partners: Vec<SiteId> = g.neighbors(owner, ShellId(kind)).collect();
                let mut batch = vec![0.0; partners.len()];
                energy.delta_energy_swaps(&g, &occ, family, &partners, &mut batch);
                let at = partners.iter().position(|&p| p == partner).unwrap();
                prop_assert!((batch[at] - delta).abs() < 1e-10, "batch {} vs {}", batch[at], delta);
                let mut one = [0.0];
                energy.delta_energy_swaps(&g, &occ, family, &[partner], &mut one);
                prop_assert_eq!(one[0].to_bits(), batch[at].to_bits());
            }
        }
        let snapshot = occ.clone();
        occ.apply(&g, &changes);
        let after = energy.total_energy(&g, &occ);
        prop_assert!((delta - (after - before)).abs() < 1e-10, "delta {} vs {}", delta, after - before);
        // the reverse change restores the configuration and the cached counts exactly.
        let reverse: Vec<SiteChange> = changes
            .iter()
            .rev()
            .map(|c| SiteChange { site: c.site, from: c.to, to: c.from })
            .collect();
        let back = energy.delta_energy(&g, &occ, &reverse);
        prop_assert!((back + delta).abs() < 1e-10);
        occ.apply(&g, &reverse);
        prop_assert_eq!(occ, snapshot);
    }
}

/// A model whose coordination tables are longer than 254 entries (so that the marginal
/// tables have wider rows than the 256 counts of a `u8`), one with a single counted species
/// and one with a counted set: the batch form of the swap energy change still equals the
/// general one, bit for bit between a batch and a batch of one.
fn long_table_model() -> String {
    let table = |scale: f64| {
        (0..300)
            .map(|n| format!("\"{} eV\"", scale * (f64::from(n) * 0.37).sin()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        r#"
[model]
name = "long-tables"
[[species]]
name = "A"
[[species]]
name = "B"
[[site_kinds]]
name = "fcc"
allowed = ["A", "B"]
[[shells]]
name = "nn"
pairs = [{{ kinds = ["fcc", "fcc"], max = "0.8 A" }}]
[energy]
coordination = [
  {{ species = "A", shell = "nn", counted = ["A"], table = [{}] }},
  {{ species = "B", shell = "nn", counted = ["A", "B"], table = [{}] }},
]
"#,
        table(0.5),
        table(-0.3)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn long_tables_swap_delta_equals_general(
        config in proptest::collection::vec(0u8..3, 108),
        site in 0u32..108,
        slot in 0usize..12,
    ) {
        let pot = potential(&long_table_model());
        let g = fcc_periodic(3, false);
        let energy = BondCounting::new(&pot.model.energy, pot.model.species.len());
        let species: Vec<SpeciesId> = config.iter().map(|&s| SpeciesId(s)).collect();
        let occ = Occupancy::new(&g, &species, 3, vec![ShellId(0)]).unwrap();
        let a = SiteId(site);
        let b = g.neighbor(a, ShellId(0), slot);
        let (sa, sb) = (occ.get(a), occ.get(b));
        prop_assume!(sa != sb);
        let changes = [
            SiteChange { site: a, from: sa, to: sb },
            SiteChange { site: b, from: sb, to: sa },
        ];
        let delta = energy.delta_energy(&g, &occ, &changes);
        for owner_is_mover in [false, true] {
            let (owner, partner) = if owner_is_mover { (a, b) } else { (b, a) };
            let family = SwapFamily { owner, owner_is_mover, mover: sa, target: sb, shell: ShellId(0) };
            let partners: Vec<SiteId> = g.neighbors(owner, ShellId(0)).collect();
            let mut batch = vec![0.0; partners.len()];
            energy.delta_energy_swaps(&g, &occ, family, &partners, &mut batch);
            let at = partners.iter().position(|&p| p == partner).unwrap();
            prop_assert!((batch[at] - delta).abs() < 1e-10, "batch {} vs {}", batch[at], delta);
            let mut one = [0.0];
            energy.delta_energy_swaps(&g, &occ, family, &[partner], &mut one);
            prop_assert_eq!(one[0].to_bits(), batch[at].to_bits());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Many sites changed at once (a cluster move: more than the 8 changes below which every
    /// earlier change is tested): the energy change equals the difference of totals, and the
    /// indexed look-up of earlier neighbouring changes gives bit for bit the sum of the plain
    /// form. A site listed twice takes the plain form.
    #[test]
    fn many_changes_delta_equals_difference_of_totals_and_the_plain_form(
        config in proptest::collection::vec(0u8..4, 108),
        picks in proptest::collection::vec((0u32..108, 0u8..4), 9..60),
        repeat_first in any::<bool>(),
    ) {
        let pot = potential(MODEL);
        let g = fcc_periodic(3, true);
        let energy = BondCounting::new(&pot.model.energy, pot.model.species.len());
        let species: Vec<SpeciesId> = config.iter().map(|&s| SpeciesId(s)).collect();
        let mut occ = Occupancy::new(&g, &species, 4, vec![ShellId(0), ShellId(1)]).unwrap();
        let mut changes: Vec<SiteChange> = Vec::new();
        for &(site, to) in &picks {
            let site = SiteId(site);
            let from = occ.get(site);
            if from != SpeciesId(to) && changes.iter().all(|c| c.site != site) {
                changes.push(SiteChange { site, from, to: SpeciesId(to) });
            }
        }
        prop_assume!(changes.len() > 8);
        let delta = energy.delta_energy(&g, &occ, &changes);
        let plain = energy.delta_energy_unindexed(&g, &occ, &changes);
        prop_assert_eq!(delta.to_bits(), plain.to_bits(), "indexed {} vs plain {}", delta, plain);
        if repeat_first {
            // the same site twice (its second change applies to the first's result): the
            // plain form is taken, so both still agree bit for bit.
            let first = changes[0];
            let mut doubled = changes.clone();
            doubled.push(SiteChange { site: first.site, from: first.to, to: first.from });
            let a = energy.delta_energy(&g, &occ, &doubled);
            let b = energy.delta_energy_unindexed(&g, &occ, &doubled);
            prop_assert_eq!(a.to_bits(), b.to_bits());
        }
        let before = energy.total_energy(&g, &occ);
        occ.apply(&g, &changes);
        let after = energy.total_energy(&g, &occ);
        prop_assert!((delta - (after - before)).abs() < 1e-10, "delta {} vs {}", delta, after - before);
    }
}
