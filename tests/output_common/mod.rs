//! Synthetic trajectories for the output tests: a small fcc-like block of sites in two
//! domains, random species from a seeded Xoshiro256++ stream, and observables derived from
//! them.
#![allow(dead_code)]

use std::path::Path;

use nanokmc::output::{Frame, FrameObservables, TrajectoryHeader, TrajectoryWriter};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Species: vacancy, Cd, Se.
pub const SPECIES: [&str; 3] = ["Vac", "Cd", "Se"];

/// A header of `cells³ × 4` sites (fcc cells of 4.2 Å), periodic in x and y only.
pub fn header(cells: usize) -> TrajectoryHeader {
    let a = 4.2;
    let basis = [
        [0.0, 0.0, 0.0],
        [0.5, 0.5, 0.0],
        [0.5, 0.0, 0.5],
        [0.0, 0.5, 0.5],
    ];
    let mut positions = Vec::new();
    let mut site_kinds = Vec::new();
    let mut site_domains = Vec::new();
    for i in 0..cells {
        for j in 0..cells {
            for k in 0..cells {
                for (b, offset) in basis.iter().enumerate() {
                    #[allow(clippy::cast_precision_loss)]
                    positions.push([
                        (i as f64 + offset[0]) * a,
                        (j as f64 + offset[1]) * a,
                        (k as f64 + offset[2]) * a,
                    ]);
                    site_kinds.push(u16::from(b > 0));
                    site_domains.push(u16::from(k >= cells / 2));
                }
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let l = cells as f64 * a;
    TrajectoryHeader {
        program_version: "nanokmc 0.1.0".into(),
        author: "output test".into(),
        scenario_path: "scenarios/test.toml".into(),
        scenario_text: "# scenario\nseed = 7\n[run]\ntime = \"1 s\"\n".into(),
        potential_path: "potentials/test.toml".into(),
        potential_text: "# potential\nspecies = [\"Cd\", \"Se\"]\n".into(),
        seed: 7,
        replica: 1,
        replicas: 2,
        species_names: SPECIES.iter().map(|s| (*s).to_string()).collect(),
        species_elements: vec!["X".into(), "Cd".into(), "Se".into()],
        kind_names: vec!["corner".into(), "face".into()],
        domain_names: vec!["bottom".into(), "top".into()],
        rule_names: vec!["hop".into(), "exchange".into(), "evaporate".into()],
        positions,
        site_kinds,
        site_domains,
        // bottom: the cubic cell as built; top: the same turned 90° about z (a → y, b → −x).
        domain_cells: vec![
            [[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, a]],
            [[0.0, a, 0.0], [-a, 0.0, 0.0], [0.0, 0.0, a]],
        ],
        box_origin: [-1.0, -2.0, -3.0],
        box_edges: [[l, 0.0, 0.0], [0.0, l, 0.0], [0.0, 0.0, l]],
        periodic: [true, true, false],
    }
}

/// One synthetic frame: species, step, time and observables.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticFrame {
    pub step: u64,
    pub time: f64,
    pub species: Vec<u8>,
    pub observables: FrameObservables,
}

impl SyntheticFrame {
    pub fn frame(&self) -> Frame<'_> {
        Frame {
            step: self.step,
            time: self.time,
            species: &self.species,
            observables: &self.observables,
        }
    }
}

/// `count` frames with a `vacancy_fraction` of vacant sites, the rest Cd or Se at random.
pub fn frames(
    header: &TrajectoryHeader,
    seed: u64,
    count: usize,
    vacancy_fraction: f64,
) -> Vec<SyntheticFrame> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let n_species = header.species_names.len();
    let n_domains = header.domain_names.len();
    (0..count)
        .map(|f| {
            let species: Vec<u8> = (0..header.site_count())
                .map(|_| {
                    if rng.random::<f64>() < vacancy_fraction {
                        0
                    } else {
                        1 + u8::from(rng.random::<bool>())
                    }
                })
                .collect();
            let mut counts = vec![0u64; n_domains * n_species];
            for (s, &sp) in species.iter().enumerate() {
                counts[usize::from(header.site_domains[s]) * n_species + usize::from(sp)] += 1;
            }
            let f64f = f64::from(u32::try_from(f).expect("few frames"));
            let fu = f as u64;
            SyntheticFrame {
                step: 1000 * fu + rng.random_range(0..100),
                time: 1e-3 * f64f + 1e-9,
                species,
                observables: FrameObservables {
                    temperature: 300.0 + 10.0 * f64f,
                    beam_flux: 1e4 * f64f,
                    species_counts: counts,
                    evaporated: (0..n_domains * n_species).map(|i| fu * i as u64).collect(),
                    deposited: (0..n_domains * n_species).map(|i| fu + i as u64).collect(),
                    transfers: (0..n_domains * n_domains * n_species)
                        .map(|i| 3 * fu + i as u64)
                        .collect(),
                    events_by_rule: (0..header.rule_names.len())
                        .map(|r| 100 * fu + r as u64)
                        .collect(),
                    null_events: 7 * fu,
                    extra: vec![
                        ("energy".into(), -1000.0 - f64f),
                        ("surface_fraction".into(), 0.25 + 0.01 * f64f),
                    ],
                    ..FrameObservables::default()
                },
            }
        })
        .collect()
}

/// Writes a complete trajectory of `frames` and returns them.
pub fn write_trajectory(
    path: &Path,
    header: &TrajectoryHeader,
    frames: &[SyntheticFrame],
) -> TrajectoryWriter {
    let mut writer = TrajectoryWriter::create(path, header, false).expect("create trajectory");
    for frame in frames {
        writer.write_frame(&frame.frame()).expect("write frame");
    }
    writer
}
