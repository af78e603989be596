//! Defect energetics of the shipped system C potential (`potentials/cs2zncl4.toml`,
//! `potentials/cs2znbr4.toml`) against the numbers of physics.md §6.2 and §6.4: the
//! Schottky-type formation energy per Cs₂ZnX₄ unit (1.2–1.6 eV), the V_X–V_Cs binding
//! (0.3–0.5 eV), the V_X–V_X binding (0.3–0.5 eV, the session-8 choice), and what these imply
//! for a Cs vacancy: it costs little to bring it from the surface into the crystal, and
//! nothing (or less than nothing) to put it next to a halide-vacancy cluster. Exact energies
//! of the bond-counting expression (no sampling), so the tolerances are the ranges themselves.
//! See docs/system_c.md §4.2. Prints the numbers of each file (`-- --nocapture`).

use nanokmc::energy::{BondCounting, EnergyModel};
use nanokmc::scenario::System;
use nanokmc::sites::{ShellId, SiteGraph, SiteId};
use nanokmc::state::{Occupancy, SpeciesId};

/// A system of the potential file `file` (in `potentials/`), built from a scenario written
/// into `dir` whose geometry is `geometry` (with `PHASE` replaced by `phase`).
fn system(dir: &std::path::Path, file: &str, phase: &str, geometry: &str) -> System {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let potential = root.join("potentials").join(file);
    let scenario = format!(
        r#"
[scenario]
name = "energetics"
potential = "{}"
seed = 1

{}

[program]
temperature = "300 K"

[stop]
time = "1 s"
"#,
        potential.display(),
        geometry.replace("PHASE", phase)
    );
    let path = dir.join("scenario.toml");
    std::fs::write(&path, scenario).expect("write");
    let s = nanokmc::scenario::read(&path).unwrap_or_else(|e| panic!("{e}"));
    s.build_system(0).expect("system")
}

/// Energy evaluation of configurations of one system.
struct Probe<'a> {
    graph: &'a SiteGraph,
    energy: BondCounting,
    n_species: usize,
}

impl Probe<'_> {
    fn total(&self, species: &[SpeciesId]) -> f64 {
        let occ = Occupancy::new(self.graph, species, self.n_species, vec![]).expect("occupancy");
        self.energy.total_energy(self.graph, &occ)
    }
}

fn shell(system: &System, name: &str) -> ShellId {
    ShellId(
        system
            .model
            .shells
            .iter()
            .position(|s| s.name == name)
            .expect("shell") as u8,
    )
}

fn dist2(a: [f64; 3], b: [f64; 3]) -> f64 {
    (0..3).map(|i| (a[i] - b[i]).powi(2)).sum()
}

/// The numbers of one halide's model.
#[derive(Debug)]
struct Numbers {
    /// Schottky formation energy per formula unit (2 V_Cs + one ZnX4 unit vacancy, apart) [eV].
    schottky: f64,
    /// Binding of a nearest V_X–V_Cs pair in the bulk [eV] (positive = bound).
    bind_x_cs: f64,
    /// Binding of the most bound nearest V_X–V_X pair in the bulk [eV] (the others are
    /// printed).
    bind_x_x: f64,
    /// Cost of moving a Cs vacancy from a surface site into the particle centre [eV]
    /// (median over the surface Cs sites of the sphere).
    cs_into_core: f64,
    /// The same, but into the Cs site next to a central cluster of halide vacancies (the
    /// site with most vacant halide neighbours) [eV].
    cs_into_cluster: f64,
}

fn numbers(file: &str, phase: &str) -> Numbers {
    let dir = tempfile::tempdir().expect("tempdir");
    // --- periodic block: Schottky energy and bindings ---
    let block = system(
        dir.path(),
        file,
        phase,
        "[geometry.block]\nphase = \"PHASE\"\ncells = [3, 4, 3]",
    );
    let m = &block.model;
    let (cs, zn, x) = (
        m.species.find("Cs").expect("Cs"),
        m.species.find("Zn").expect("Zn"),
        m.species
            .find("Cl")
            .or_else(|| m.species.find("Br"))
            .expect("X"),
    );
    let vac = SpeciesId::VACANCY;
    let g = &block.graph;
    let probe = Probe {
        graph: g,
        energy: BondCounting::new(&m.energy, m.species.len()),
        n_species: m.species.len(),
    };
    let (cx, xx, zx) = (
        shell(&block, "cx"),
        shell(&block, "xx"),
        shell(&block, "zx"),
    );
    let s0 = block.species.clone();
    let e0 = probe.total(&s0);
    let n_fu = s0.iter().filter(|&&s| s == zn).count() as f64;
    let e_fu = e0 / n_fu;
    let first = |sp: SpeciesId| s0.iter().position(|&s| s == sp).expect("site");
    let cs_a = first(cs);
    // a second Cs far from the first (and from the unit)
    let far = |from: usize, sp: SpeciesId| {
        (0..s0.len())
            .filter(|&i| s0[i] == sp)
            .max_by(|&i, &j| {
                let (pi, pj, pf) = (
                    g.position(SiteId(i as u32)),
                    g.position(SiteId(j as u32)),
                    g.position(SiteId(from as u32)),
                );
                dist2(pi, pf).total_cmp(&dist2(pj, pf))
            })
            .expect("site")
    };
    let zn_far = far(cs_a, zn);
    let cs_b = (0..s0.len())
        .filter(|&i| s0[i] == cs)
        .max_by(|&i, &j| {
            let d = |k: usize| {
                let p = g.position(SiteId(k as u32));
                dist2(p, g.position(SiteId(cs_a as u32)))
                    .min(dist2(p, g.position(SiteId(zn_far as u32))))
            };
            d(i).total_cmp(&d(j))
        })
        .expect("Cs");
    let mut s = s0.clone();
    s[cs_a] = vac;
    s[cs_b] = vac;
    s[zn_far] = vac;
    for k in g.neighbors(SiteId(zn_far as u32), zx) {
        s[k.index()] = vac;
    }
    let schottky = probe.total(&s) - e0 + e_fu;
    // V_X–V_Cs: Cs cs_a and one of its cx neighbours
    let x_n = g
        .neighbors(SiteId(cs_a as u32), cx)
        .next()
        .expect("X")
        .index();
    let e_vac = |sites: &[usize]| {
        let mut s = s0.clone();
        for &i in sites {
            s[i] = vac;
        }
        probe.total(&s) - e0
    };
    let bind_x_cs = e_vac(&[cs_a]) + e_vac(&[x_n]) - e_vac(&[cs_a, x_n]);
    let x_m = g
        .neighbors(SiteId(x_n as u32), xx)
        .next()
        .expect("X")
        .index();
    let x_n_site = x_n;
    let all_xx: Vec<String> = g
        .neighbors(SiteId(x_n as u32), xx)
        .map(|k| {
            let b = e_vac(&[x_n]) + e_vac(&[k.index()]) - e_vac(&[x_n, k.index()]);
            let shared = g
                .neighbors(SiteId(x_n as u32), cx)
                .filter(|q| g.neighbors(k, cx).any(|r| r == *q))
                .count();
            let same_unit = g
                .neighbors(SiteId(x_n as u32), zx)
                .any(|z| g.neighbors(k, zx).any(|r| r == z));
            format!("{b:.3} eV (shared Cs {shared}, same unit {same_unit})")
        })
        .collect();
    eprintln!("{file}: V_X–V_X bindings over the xx neighbours: {all_xx:?}");
    let bind_x_x = g
        .neighbors(SiteId(x_n as u32), xx)
        .map(|k| e_vac(&[x_n]) + e_vac(&[k.index()]) - e_vac(&[x_n, k.index()]))
        .fold(f64::NEG_INFINITY, f64::max);
    {
        let count = |i: usize, sh: ShellId| g.neighbors(SiteId(i as u32), sh).count();
        let mut cs_n: Vec<usize> = (0..s0.len())
            .filter(|&i| s0[i] == cs)
            .map(|i| count(i, cx))
            .collect();
        cs_n.sort_unstable();
        cs_n.dedup();
        let mut x_n: Vec<(usize, usize)> = (0..s0.len())
            .filter(|&i| s0[i] == x)
            .map(|i| (count(i, cx), count(i, xx)))
            .collect();
        x_n.sort_unstable();
        x_n.dedup();
        eprintln!("{file}: Cs cx counts {cs_n:?}; X (cx, xx) counts {x_n:?}");
        eprintln!(
            "{file}: removal energies: bulk X {} eV, bulk Cs {} eV; Cs shared by the X–X pair: {}",
            e_vac(&[x_n_site]),
            e_vac(&[cs_a]),
            g.neighbors(SiteId(x_n_site as u32), cx)
                .filter(|k| g.neighbors(SiteId(x_m as u32), cx).any(|q| q == *k))
                .count()
        );
    }

    // --- free sphere: Cs vacancy from the surface into the core, and next to a V_X cluster ---
    let sphere = system(
        dir.path(),
        file,
        phase,
        "[[geometry.particles]]\nname = \"p\"\nphase = \"PHASE\"\nshape = { type = \"sphere\", radius = \"16 A\" }\nmargin = \"4 A\"",
    );
    let g = &sphere.graph;
    let probe = Probe {
        graph: g,
        energy: BondCounting::new(&sphere.model.energy, sphere.model.species.len()),
        n_species: sphere.model.species.len(),
    };
    let cx = shell(&sphere, "cx");
    let s0 = sphere.species.clone();
    let n = s0.len();
    let mut centre = [0.0; 3];
    let occupied: Vec<usize> = (0..n).filter(|&i| !s0[i].is_vacancy()).collect();
    for &i in &occupied {
        let p = g.position(SiteId(i as u32));
        for d in 0..3 {
            centre[d] += p[d] / occupied.len() as f64;
        }
    }
    let r2 = |i: usize| dist2(g.position(SiteId(i as u32)), centre);
    let cs_sites: Vec<usize> = (0..n).filter(|&i| s0[i] == cs).collect();
    let core_cs = *cs_sites
        .iter()
        .min_by(|&&i, &&j| r2(i).total_cmp(&r2(j)))
        .expect("Cs");
    let vacant_x = |s: &[SpeciesId], i: usize| {
        g.neighbors(SiteId(i as u32), cx)
            .filter(|k| s[k.index()].is_vacancy())
            .count()
    };
    // surface Cs: those with a vacant halide neighbour in the perfect sphere
    let surface: Vec<usize> = cs_sites
        .iter()
        .copied()
        .filter(|&i| vacant_x(&s0, i) >= 1)
        .collect();
    let median_cost = |s: &[SpeciesId], core: usize| {
        let e = probe.total(s);
        let with = |i: usize| {
            let mut t = s.to_vec();
            t[i] = vac;
            probe.total(&t) - e
        };
        let e_core = with(core);
        let mut d: Vec<f64> = surface
            .iter()
            .filter(|&&i| s[i] == cs)
            .map(|&i| e_core - with(i))
            .collect();
        d.sort_by(f64::total_cmp);
        d[d.len() / 2]
    };
    let cs_into_core = median_cost(&s0, core_cs);
    {
        // ΔE of removing a surface X pair (both with ≥ 3 vacant Cs neighbours: cl2_loss)
        let vac_cs = |i: usize| {
            g.neighbors(SiteId(i as u32), cx)
                .filter(|k| s0[k.index()].is_vacancy())
                .count()
        };
        let xxs = shell(&sphere, "xx");
        let e = probe.total(&s0);
        let mut d = Vec::new();
        for i in (0..n).filter(|&i| s0[i] == x && vac_cs(i) >= 3) {
            for k in g.neighbors(SiteId(i as u32), xxs) {
                let j = k.index();
                if j > i && s0[j] == x && vac_cs(j) >= 3 {
                    let mut t = s0.clone();
                    t[i] = vac;
                    t[j] = vac;
                    d.push(probe.total(&t) - e);
                }
            }
        }
        d.sort_by(f64::total_cmp);
        eprintln!(
            "{file}: surface X-pair removal: {} pairs, min {:.2}, median {:.2}, max {:.2} eV",
            d.len(),
            d[0],
            d[d.len() / 2],
            d[d.len() - 1]
        );
    }
    // the central halide-vacancy cluster: every X within 5 Å of the centre
    let mut s = s0.clone();
    for i in 0..n {
        if s0[i] == x && r2(i) < 25.0 {
            s[i] = vac;
        }
    }
    let next = *cs_sites
        .iter()
        .filter(|&&i| !surface.contains(&i))
        .max_by(|&&i, &&j| vacant_x(&s, i).cmp(&vacant_x(&s, j)))
        .expect("Cs");
    let cs_into_cluster = median_cost(&s, next);
    eprintln!(
        "{file}: {} surface Cs of {}, cluster Cs has {} vacant X neighbours",
        surface.len(),
        cs_sites.len(),
        vacant_x(&s, next)
    );
    Numbers {
        schottky,
        bind_x_cs,
        bind_x_x,
        cs_into_core,
        cs_into_cluster,
    }
}

fn check_in_ranges(file: &str, phase: &str) {
    let n = numbers(file, phase);
    eprintln!("{file}: {n:?}");
    assert!(
        (1.2..=1.6).contains(&n.schottky),
        "{file}: Schottky energy {} eV per formula unit, physics.md §6.2 gives 1.2–1.6",
        n.schottky
    );
    assert!(
        (0.3 - 1e-9..=0.5).contains(&n.bind_x_cs),
        "{file}: V_X–V_Cs binding {} eV, physics.md §6.4 gives 0.3–0.5",
        n.bind_x_cs
    );
    assert!(
        (0.3..=0.5).contains(&n.bind_x_x),
        "{file}: strongest V_X–V_X binding {} eV, the 0.3–0.5 eV of physics.md §6.4",
        n.bind_x_x
    );
    assert!(
        n.cs_into_core <= 0.6,
        "{file}: a Cs vacancy costs {} eV more in the core than at the surface",
        n.cs_into_core
    );
    assert!(
        n.cs_into_cluster <= 0.05,
        "{file}: a Cs vacancy costs {} eV more next to a halide-vacancy cluster than at the surface",
        n.cs_into_cluster
    );
}

/// The session-9 variant `potentials/cs2zncl4_schottky.toml` matches both numbers: Schottky
/// energy in 1.2–1.6 eV per formula unit, V_X–V_Cs and (strongest) V_X–V_X binding in
/// 0.3–0.5 eV, a Cs vacancy at most 0.6 eV dearer in the core than at the median surface
/// site and no dearer (0.05 eV) next to a core halide-vacancy cluster. Exact energies (no
/// sampling): the tolerances are physics.md's ranges. (Broken on purpose: ε(Cl–Cl) = 0.10 eV
/// instead of 0.17 gives a Schottky energy of 2.14 eV and the test fails.)
#[test]
fn schottky_variant_matches_physics_ranges() {
    check_in_ranges("cs2zncl4_schottky.toml", "Cs2ZnCl4");
}

/// The shipped pair-bond files bind V_X–V_Cs by |ε(Cs–X)| = 0.35 eV but then make a Cs
/// vacancy ≥ 1.0 eV dearer in the core than at the surface and the Schottky energy ≈ 7.6 eV
/// per formula unit, far above physics.md's 1.2–1.6 eV: the tie of docs/system_c.md §4.1
/// item 3, pinned so that a change of the shipped energies is seen here (exact energies).
#[test]
fn shipped_pair_bonds_tie_binding_to_vacancy_cost() {
    for (file, phase) in [("cs2zncl4.toml", "Cs2ZnCl4"), ("cs2znbr4.toml", "Cs2ZnBr4")] {
        let n = numbers(file, phase);
        eprintln!("{file}: {n:?}");
        assert!((n.bind_x_cs - 0.35).abs() < 1e-6, "{file}: {n:?}");
        assert!(n.schottky > 7.0 && n.cs_into_core >= 1.0, "{file}: {n:?}");
    }
}
