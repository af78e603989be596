//! The geometry side of the model language (issue 12): crystals written in the potential
//! file, orientation (rotated particles, orientation relationships), stoichiometric
//! trimming and adsorption layers with facet-dependent site kinds. Deterministic: no
//! random numbers except the shipped demo's seeded substrate and initial species.

use std::path::PathBuf;

use nanokmc::input::Source;
use nanokmc::lattice::assembly::periodic_crystal;
use nanokmc::lattice::orientation::{direction, plane_normal, rotate};
use nanokmc::lattice::{Crystal, SiteList};
use nanokmc::potential::{self, Potential};
use nanokmc::scenario::{self, Geometry, Scenario};
use nanokmc::sites::{ShellId, SiteGraph, SiteId};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A one-kind potential around one phase (`phase` is the `[[phases]]` body), with two
/// distance shells so that neighbour counts are compared at two ranges.
fn one_kind_potential(phase: &str, roles: &[&str]) -> Potential {
    let roles: Vec<String> = roles.iter().map(|r| format!("{r} = \"k\"")).collect();
    let text = format!(
        r#"
[model]
name = "t"
[[species]]
name = "X"
[[phases]]
name = "P"
{phase}
roles = {{ {} }}
[[site_kinds]]
name = "k"
allowed = ["X"]
[[shells]]
name = "near"
pairs = [{{ kinds = ["k", "k"], max = "3.3 A" }}]
[[shells]]
name = "far"
pairs = [{{ kinds = ["k", "k"], min = "3.35 A", max = "4.7 A" }}]
"#,
        roles.join(", ")
    );
    potential::compile(&Source::from_text("test.toml", text)).unwrap()
}

/// The `[[phases]]` body of a custom structure that writes `crystal` out: cell vectors and
/// every basis site, numbers printed so that they parse back to the same bits.
fn custom_body(crystal: &Crystal) -> String {
    let v: Vec<String> = crystal
        .cell
        .iter()
        .map(|r| format!("[\"{:?} A\", \"{:?} A\", \"{:?} A\"]", r[0], r[1], r[2]))
        .collect();
    let sites: Vec<String> = crystal
        .basis
        .iter()
        .map(|b| {
            format!(
                "{{ role = \"{}\", frac = [{:?}, {:?}, {:?}] }}",
                b.role, b.frac[0], b.frac[1], b.frac[2]
            )
        })
        .collect();
    format!(
        "structure = \"custom\"\nvectors = [{}]\nsites = [\n{}\n]",
        v.join(", "),
        sites.join(",\n")
    )
}

fn block(p: &Potential) -> (SiteList, SiteGraph) {
    let phase = p.phase("P").unwrap();
    let crystal = phase.crystal().unwrap();
    let kinds = phase.basis_kinds(&crystal).unwrap();
    let list = periodic_crystal(&crystal, [4, 4, 4], &kinds, "P").unwrap();
    let graph = p.build_graph(list.clone()).unwrap();
    (list, graph)
}

fn assert_same_sites(a: &(SiteList, SiteGraph), b: &(SiteList, SiteGraph), what: &str) {
    assert_eq!(a.0.len(), b.0.len(), "{what}: site count");
    for i in 0..a.0.len() {
        for k in 0..3 {
            assert!(
                (a.0.positions[i][k] - b.0.positions[i][k]).abs() < 1e-9,
                "{what}: site {i} at {:?} vs {:?}",
                a.0.positions[i],
                b.0.positions[i]
            );
        }
        #[allow(clippy::cast_possible_truncation)]
        let s = SiteId(i as u32);
        for shell in 0..2 {
            assert_eq!(
                a.1.neighbor_count(s, ShellId(shell)),
                b.1.neighbor_count(s, ShellId(shell)),
                "{what}: neighbours of site {i} in shell {shell}"
            );
        }
    }
}

/// For every built-in builder (interstitial roles included), a custom crystal that writes
/// out its cell and basis builds the same sites (positions to 1e-9 Å, same order) and the
/// same neighbour counts in two shells (≤ 3.3 Å, 3.35–4.7 Å) over a 4 × 4 × 4 block.
#[test]
fn custom_crystal_builds_same_sites_and_neighbours_as_every_builder() {
    let cases: [(&str, &str); 9] = [
        ("fcc", "a = \"4.078 A\""),
        ("bcc", "a = \"3.3 A\""),
        ("simple_cubic", "a = \"2.9 A\""),
        ("hcp", "a = \"2.95 A\"\nc = \"4.68 A\""),
        ("wurtzite", "a = \"4.299 A\"\nc = \"7.01 A\"\nu = 0.375"),
        ("zinc_blende", "a = \"6.077 A\""),
        ("antifluorite", "a = \"5.76 A\""),
        ("cu3p", "a = \"6.959 A\"\nc = \"7.143 A\""),
        (
            "pnma_a2bx4",
            "a = \"9.76 A\"\nb = \"7.41 A\"\nc = \"12.97 A\"",
        ),
    ];
    for (structure, constants) in cases {
        // The full crystal, optional interstitial roles included, gives the role list.
        let full = match structure {
            "fcc" => Crystal::fcc(4.078),
            "bcc" => Crystal::bcc(3.3),
            "simple_cubic" => Crystal::simple_cubic(2.9),
            "hcp" => Crystal::hcp(2.95, 4.68),
            "wurtzite" => Crystal::wurtzite(4.299, 7.01, 0.375),
            "zinc_blende" => Crystal::zinc_blende(6.077),
            "antifluorite" => Crystal::antifluorite(5.76),
            "cu3p" => Crystal::cu3p(6.959, 7.143),
            _ => Crystal::pnma_a2bx4(9.76, 7.41, 12.97),
        }
        .unwrap();
        let roles = full.roles();
        let builtin =
            one_kind_potential(&format!("structure = \"{structure}\"\n{constants}"), &roles);
        let custom = one_kind_potential(&custom_body(&full), &roles);
        assert_same_sites(&block(&builtin), &block(&custom), structure);
    }
}

/// The hexagonal cell from lengths and angles (`gamma = "120 deg"`) and exact fractions
/// (`"1/3"`) builds wurtzite like the builder (to 1e-9 Å).
#[test]
fn custom_crystal_from_lengths_angles_and_fractions_matches_wurtzite() {
    let roles = ["anion", "cation", "tet_empty", "oct"];
    let builtin = one_kind_potential(
        "structure = \"wurtzite\"\na = \"4.299 A\"\nc = \"7.01 A\"\nu = 0.375",
        &roles,
    );
    let custom = one_kind_potential(
        r#"structure = "custom"
a = "4.299 A"
c = "7.01 A"
gamma = "120 deg"
sites = [
  { role = "anion", frac = ["1/3", "2/3", "3/8"] },
  { role = "anion", frac = ["2/3", "1/3", "7/8"] },
  { role = "cation", frac = ["1/3", "2/3", 0] },
  { role = "cation", frac = ["2/3", "1/3", "1/2"] },
  { role = "tet_empty", frac = ["1/3", "2/3", "3/4"] },
  { role = "tet_empty", frac = ["2/3", "1/3", "1/4"] },
  { role = "oct", frac = [0, 0, "5/8"] },
  { role = "oct", frac = [0, 0, "1/8"] },
]"#,
        &roles,
    );
    assert_same_sites(
        &block(&builtin),
        &block(&custom),
        "wurtzite from a, c, gamma",
    );
}

/// A custom crystal given by representative sites and symmetry operations (Pnma) equals
/// the built-in Pnma A₂BX₄ builder.
#[test]
fn custom_crystal_with_operations_matches_pnma_builder() {
    let roles = ["a1", "a2", "b", "x1", "x2", "x3"];
    let builtin = one_kind_potential(
        "structure = \"pnma_a2bx4\"\na = \"9.76 A\"\nb = \"7.41 A\"\nc = \"12.97 A\"",
        &roles,
    );
    let custom = one_kind_potential(
        r#"structure = "custom"
a = "9.76 A"
b = "7.41 A"
c = "12.97 A"
sites = [
  { role = "a1", frac = [0.5153, 0.25, 0.3234] },
  { role = "a2", frac = [0.8730, 0.25, 0.5968] },
  { role = "b", frac = [0.2746, 0.25, 0.5777] },
  { role = "x1", frac = [0.5184, 0.25, 0.5831] },
  { role = "x2", frac = [0.1802, 0.25, 0.4126] },
  { role = "x3", frac = [0.1839, 0.5012, 0.6593] },
]
operations = ["x,y,z", "-x+1/2,-y,z+1/2", "-x,y+1/2,-z", "x+1/2,-y+1/2,-z+1/2",
              "-x,-y,-z", "x+1/2,y,-z+1/2", "x,-y+1/2,z", "-x+1/2,y+1/2,z+1/2"]"#,
        &roles,
    );
    assert_same_sites(&block(&builtin), &block(&custom), "pnma with operations");
}

/// A scenario given as text, placed in the good corpus folder so that its potential path
/// `../potentials/…` resolves.
fn scenario_text(text: &str) -> Scenario {
    let path = root().join("tests/data/scenarios/good/inline.toml");
    let potential =
        Source::read(&root().join("tests/data/scenarios/potentials/cdse_wz.toml")).unwrap();
    scenario::compile_texts(Source::from_text(path, text), &potential).unwrap()
}

const ROD: &str = r#"
[scenario]
name = "rod"
potential = "../potentials/cdse_wz.toml"
seed = 1
[[geometry.particles]]
name = "rod"
phase = "CdSe"
shape = { type = "hex_rod", radius = "9 A", length = "20 A", tip = "rounded" }
margin = "2 A"
ORIENTATION
[program]
temperature = "300 K"
[stop]
time = "1 s"
"#;

/// A rod rotated by 37° about (1, 2, 3) has the same sites as the unrotated rod up to the
/// rotation (every rotated site within 1e-6 Å of a site of the rotated build, same kind,
/// same inside flag) and the same neighbour counts in every shell.
#[test]
fn rotated_rod_has_same_sites_up_to_rotation_and_same_neighbour_counts() {
    let plain = scenario_text(&ROD.replace("ORIENTATION", ""));
    let tilted = scenario_text(&ROD.replace(
        "ORIENTATION",
        "orientation = { axis = [1, 2, 3], angle = \"37 deg\" }",
    ));
    let rotation =
        nanokmc::lattice::orientation::axis_angle([1.0, 2.0, 3.0], 37f64.to_radians()).unwrap();
    let a = plain.build_system(0).unwrap();
    let b = tilted.build_system(0).unwrap();
    let (ga, gb) = (&a.graph, &b.graph);
    assert_eq!(ga.len(), gb.len());
    assert!(ga.len() > 300, "{} sites", ga.len());
    for i in 0..ga.len() {
        #[allow(clippy::cast_possible_truncation)]
        let s = SiteId(i as u32);
        let p = rotate(rotation, ga.position(s));
        let j = (0..gb.len())
            .find(|&j| {
                #[allow(clippy::cast_possible_truncation)]
                let q = gb.position(SiteId(j as u32));
                (0..3).all(|k| (p[k] - q[k]).abs() < 1e-6)
            })
            .unwrap_or_else(|| panic!("no rotated image of site {i} at {p:?}"));
        #[allow(clippy::cast_possible_truncation)]
        let t = SiteId(j as u32);
        assert_eq!(ga.kind(s), gb.kind(t));
        assert_eq!(a.species[i], b.species[j]);
        for shell in 0..ga.shell_count() {
            #[allow(clippy::cast_possible_truncation)]
            let shell = ShellId(shell as u8);
            assert_eq!(ga.neighbor_count(s, shell), gb.neighbor_count(t, shell));
        }
    }
}

/// Cu(111)[1-10] ‖ CdSe(0001)[2-1-10] across the interface of a two-domain particle whose
/// core is itself tilted: the Cu sites lie on (111) planes parallel to the CdSe basal plane
/// (their heights along the lab c axis are multiples of d₁₁₁ = a/√3 from one of them, to
/// 1e-6 Å), and the stated directions are parallel (to 1e-9).
#[test]
fn orientation_relationship_holds_across_the_interface() {
    let s = scenario_text(
        r#"
[scenario]
name = "or"
potential = "../potentials/cdse_wz.toml"
seed = 1
[[geometry.particles]]
name = "p"
[[geometry.particles.domains]]
name = "core"
phase = "CdSe"
shape = { type = "hex_rod", radius = "10 A", length = "14 A" }
rotation = { axis = [1, 0, 0], angle = "20 deg" }
[[geometry.particles.domains]]
name = "cap"
phase = "Cu_fcc"
shape = { type = "box", size = ["30 A", "30 A", "30 A"] }
center = ["0 A", "0 A", "12 A"]
rotation = { relative_to = "core", plane = [1, 1, 1], direction = [1, -1, 0], parallel_plane = [0, 0, 0, 1], parallel_direction = [2, -1, -1, 0] }
[program]
temperature = "300 K"
[stop]
time = "1 s"
"#,
    );
    let Geometry::Assembly { assembly, .. } = &s.geometry else {
        panic!("not an assembly")
    };
    let domains = &assembly.particles[0].0.domains;
    let (core, cap) = (&domains[0], &domains[1]);
    let c_axis = rotate(
        core.rotation,
        plane_normal(&core.crystal, &[0.0, 0.0, 0.0, 1.0]).unwrap(),
    );
    let n111 = rotate(
        cap.rotation,
        plane_normal(&cap.crystal, &[1.0, 1.0, 1.0]).unwrap(),
    );
    let a_dir = rotate(
        core.rotation,
        direction(&core.crystal, &[2.0, -1.0, -1.0, 0.0]).unwrap(),
    );
    let cu_dir = rotate(
        cap.rotation,
        direction(&cap.crystal, &[1.0, -1.0, 0.0]).unwrap(),
    );
    for k in 0..3 {
        assert!((c_axis[k] - n111[k]).abs() < 1e-9);
        assert!((a_dir[k] - cu_dir[k]).abs() < 1e-9);
    }
    let system = s.build_system(0).unwrap();
    let g = &system.graph;
    let d111 = 3.615 / 3f64.sqrt();
    let heights: Vec<f64> = (0..g.len())
        .filter(|&i| g.domains()[i].index() == 1)
        .map(|i| {
            let p = g.positions()[i];
            p[0] * c_axis[0] + p[1] * c_axis[1] + p[2] * c_axis[2]
        })
        .collect();
    assert!(heights.len() > 100);
    for h in &heights {
        let layers = (h - heights[0]) / d111;
        assert!((layers - layers.round()).abs() * d111 < 1e-6, "height {h}");
    }
}

const SPHERE: &str = r#"
[scenario]
name = "sphere"
potential = "../potentials/cdse_wz.toml"
seed = 1
[geometry]
stoichiometry_tolerance = 0.0
[[geometry.particles]]
name = "dot"
phase = "CdSe"
shape = { type = "sphere", radius = "11 A" }
TRIM
[program]
temperature = "300 K"
[stop]
time = "1 s"
"#;

/// A CdSe sphere cut from the lattice is off stoichiometry (reported, with a warning at
/// tolerance 0); with `stoichiometric = true` it is trimmed to exactly Cd₁Se₁, the removed
/// atoms become vacant sites (same site count), and the trimmed atoms are the least
/// coordinated: every removed atom had at most as many occupied neighbours as the median
/// kept atom of its species.
#[test]
fn stoichiometric_trimming_reaches_the_ideal_composition() {
    let cut = scenario_text(&SPHERE.replace("TRIM", ""));
    let (report, warnings) = cut.composition_report().unwrap();
    assert_eq!(report.len(), 1);
    let off = (report[0].counts[0].1, report[0].counts[1].1);
    assert_ne!(off.0, off.1, "the cut sphere should be off stoichiometry");
    assert!(report[0].deviation > 0.0);
    assert_eq!(warnings.len(), 1, "{warnings:?}");

    let trimmed = scenario_text(&SPHERE.replace("TRIM", "stoichiometric = true"));
    let (report, warnings) = trimmed.composition_report().unwrap();
    let (cd, se) = (report[0].counts[0].1, report[0].counts[1].1);
    assert_eq!(cd, se);
    assert_eq!(cd, off.0.min(off.1));
    assert_eq!(report[0].trimmed, off.0.abs_diff(off.1));
    assert!(report[0].deviation.abs() < 1e-15);
    assert!(warnings.is_empty());
    let a = cut.build_system(0).unwrap();
    let b = trimmed.build_system(0).unwrap();
    assert_eq!(a.graph.len(), b.graph.len());
    let occupied = |sys: &scenario::System, i: usize| -> usize {
        #[allow(clippy::cast_possible_truncation)]
        let s = SiteId(i as u32);
        sys.graph
            .neighbors(s, ShellId(0))
            .filter(|n| !sys.species[n.index()].is_vacancy())
            .count()
    };
    let removed: Vec<usize> = (0..a.graph.len())
        .filter(|&i| !a.species[i].is_vacancy() && b.species[i].is_vacancy())
        .collect();
    assert_eq!(removed.len(), off.0.abs_diff(off.1));
    let species = a.species[removed[0]];
    let mut kept: Vec<usize> = (0..a.graph.len())
        .filter(|&i| b.species[i] == species)
        .map(|i| occupied(&a, i))
        .collect();
    kept.sort_unstable();
    let median = kept[kept.len() / 2];
    for &i in &removed {
        assert!(
            occupied(&a, i) <= median,
            "removed atom {i} was well coordinated"
        );
    }
}

/// The shipped demo `scenarios/au_rod_layers.toml`: the rod lies along x on the carbon; the
/// adsorption layer's sites are all vacant except the 30 Au placed by `initial`; tip sites
/// lie beyond the rod's tip faces along x, ≥ 90 % of the side sites between them (the rest
/// on the edges of the tips, where the normal is ambiguous), carbon-layer sites
/// below the rod; every layer site has Au–Au neighbours; between a third and all of the
/// sites touch the surface (an `anchor` neighbour: Cd, Se or C; the layer is 5 Å thick,
/// about two Au layers); ≥ 95 % of the layer is reachable along the `au` shell from the
/// touching sites, and a side site neighbours a carbon-layer site (adatoms can move along
/// the rod, around its edges and down to the carbon).
#[test]
fn adsorption_layer_kinds_follow_facets_and_surfaces() {
    let s = scenario::read(&root().join("scenarios/au_rod_layers.toml")).unwrap();
    let system = s.build_system(0).unwrap();
    let g = &system.graph;
    let kind = |name: &str| g.kind_names().iter().position(|k| k == name).unwrap();
    let shell = |name: &str| {
        #[allow(clippy::cast_possible_truncation)]
        ShellId(g.shell_names().iter().position(|k| k == name).unwrap() as u8)
    };
    let layer = g
        .domain_names()
        .iter()
        .position(|d| d == "rod/au_layer")
        .unwrap();
    let (au, anchor) = (shell("au"), shell("anchor"));
    let mut count = [0usize; 4];
    let mut occupied = 0;
    let mut first_layer = 0;
    let mut side_between_tips = 0;
    for i in 0..g.len() {
        if g.domains()[i].index() != layer {
            continue;
        }
        #[allow(clippy::cast_possible_truncation)]
        let site = SiteId(i as u32);
        let p = g.position(site);
        let k = g.kind(site).index();
        if !system.species[i].is_vacancy() {
            occupied += 1;
        }
        assert!(g.neighbor_count(site, au) > 0, "isolated layer site {i}");
        if g.neighbor_count(site, anchor) > 0 {
            first_layer += 1;
        }
        if k == kind("au_tip") {
            count[0] += 1;
            assert!(p[0].abs() > 18.0 - 1e-9, "tip site at {p:?}");
        } else if k == kind("au_side") {
            count[1] += 1;
            assert!(p[0].abs() < 18.0 + 5.0, "side site at {p:?}");
            if p[0].abs() < 18.0 {
                side_between_tips += 1;
            }
        } else if k == kind("au_carbon") {
            count[2] += 1;
            assert!(p[2] < -11.66 + 5.0 + 1e-9, "carbon-layer site at {p:?}");
        } else {
            assert_eq!(k, kind("au_edge"));
            count[3] += 1;
        }
    }
    assert!(
        count.iter().all(|&c| c > 10),
        "tip, side, carbon, edge: {count:?}"
    );
    assert!(
        side_between_tips * 10 >= count[1] * 9,
        "{side_between_tips} of {}",
        count[1]
    );
    let total: usize = count.iter().sum();
    assert!(
        first_layer > total / 3 && first_layer < total,
        "{first_layer} of {total}"
    );

    // Paths along the au shell: from the surface-touching sites, ≥ 95 % of the layer is
    // reachable, and the rod's sites connect to the carbon's (adatoms can leave the rod).
    let in_layer = |t: SiteId| g.domains()[t.index()].index() == layer;
    let mut reached = vec![false; g.len()];
    let mut queue: Vec<SiteId> = (0..g.len())
        .map(|i| {
            #[allow(clippy::cast_possible_truncation)]
            SiteId(i as u32)
        })
        .filter(|&t| in_layer(t) && g.neighbor_count(t, anchor) > 0)
        .collect();
    for t in &queue {
        reached[t.index()] = true;
    }
    while let Some(t) = queue.pop() {
        for n in g.neighbors(t, au) {
            if in_layer(n) && !reached[n.index()] {
                reached[n.index()] = true;
                queue.push(n);
            }
        }
    }
    let reached = reached.iter().filter(|&&r| r).count();
    assert!(
        reached * 100 >= total * 95,
        "{reached} of {total} reachable"
    );
    let carbon = kind("au_carbon");
    let bridge = (0..g.len()).any(|i| {
        #[allow(clippy::cast_possible_truncation)]
        let t = SiteId(i as u32);
        in_layer(t)
            && g.kind(t).index() == kind("au_side")
            && g.neighbors(t, au).any(|n| g.kind(n).index() == carbon)
    });
    assert!(
        bridge,
        "no au-shell path from the rod's side sites to the carbon sites"
    );
    assert_eq!(occupied, 30);
}

/// Builds the scenario `with` and the same scenario `plain` without its `kinds` table (both
/// read as if they were `tests/data/scenarios/good/domain_kinds.toml`, for the potential's
/// relative path) and checks them site by site: the same sites and domains, every `oct`
/// site of the domains named in `renamed` (and only those) turned `t_minus`.
fn check_renamed_oct(with: &str, plain: &str, renamed: &[&str]) {
    let path = root().join("tests/data/scenarios/good/domain_kinds.toml");
    let build = |text: &str| {
        scenario::compile(Source::from_text(&path, text))
            .unwrap()
            .build_system(0)
            .unwrap()
    };
    let (a, b) = (build(with), build(plain));
    let (g, h) = (&a.graph, &b.graph);
    assert_eq!(g.len(), h.len());
    let kind = |name: &str| g.kind_names().iter().position(|n| n == name).unwrap();
    let chosen: Vec<usize> = renamed
        .iter()
        .map(|d| {
            g.domain_names()
                .iter()
                .position(|n| n == d)
                .unwrap_or_else(|| panic!("no domain {d} in {:?}", g.domain_names()))
        })
        .collect();
    let mut turned = 0;
    let mut kept = 0;
    for i in 0..g.len() {
        let s = SiteId(u32::try_from(i).unwrap());
        assert_eq!(g.position(s), h.position(s));
        assert_eq!(g.domain(s), h.domain(s));
        let was_oct = h.kind(s).index() == kind("oct");
        let expected = if was_oct && chosen.contains(&g.domain(s).index()) {
            turned += 1;
            kind("t_minus")
        } else {
            kept += usize::from(was_oct);
            h.kind(s).index()
        };
        assert_eq!(g.kind(s).index(), expected, "site {i}");
    }
    assert!(turned > 0, "no oct site was renamed");
    if chosen.len() < g.domain_names().len() {
        assert!(kept > 0, "the other domains keep their oct sites");
    }
}

/// A `kinds` table gives the sites of a role another site kind, in its own domain only:
/// on an explicit domain (`tests/data/scenarios/good/domain_kinds.toml`: the octahedral
/// holes of `tip` are `t_minus`, the `body`'s stay `oct`), on a segment of a stacked
/// particle, and on a one-phase particle. Broken on purpose (the kind not written): fails.
#[test]
fn a_kinds_table_renames_one_role_in_its_domain_only() {
    let path = root().join("tests/data/scenarios/good/domain_kinds.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = "kinds = { oct = \"t_minus\" }\n";
    assert!(text.contains(line));
    check_renamed_oct(&text, &text.replace(line, ""), &["rod/tip"]);
    let tail = "\n[program]\ntemperature = \"25 C\"\n\n[stop]\ntime = \"1 ms\"\n";
    let head = "[scenario]\nname = \"k\"\npotential = \"../potentials/cdse_wz.toml\"\nseed = 5\n\n";
    let stack = |kinds: &str| {
        format!(
            "{head}[[geometry.particles]]\nname = \"stack\"\ncross_section = {{ type = \"sphere\", radius = \"8 A\" }}\nmargin = \"2 A\"\nsegments = [\n  {{ name = \"low\", phase = \"CdSe\", thickness = \"7.01 A\" }},\n  {{ name = \"high\", phase = \"CdSe\", thickness = \"7.01 A\"{kinds} }},\n]\n{tail}"
        )
    };
    check_renamed_oct(
        &stack(", kinds = { oct = \"t_minus\" }"),
        &stack(""),
        &["stack/high"],
    );
    let single = |kinds: &str| {
        format!(
            "{head}[[geometry.particles]]\nname = \"ball\"\nphase = \"CdSe\"\nshape = {{ type = \"sphere\", radius = \"8 A\" }}\n{kinds}{tail}"
        )
    };
    let with = single("kinds = { oct = \"t_minus\" }\n");
    let plain = single("");
    let a = scenario::compile(Source::from_text(&path, with.as_str())).unwrap();
    let name = a.build_system(0).unwrap().graph.domain_names()[0].clone();
    check_renamed_oct(&with, &plain, &[name.as_str()]);
}

/// `substrate_thickness` and `[[initial]] region` (scenarios/au_mixture.toml): rod A's layer
/// covers the carbon up to 18 Å above it (away from the rods: sites higher than the normal
/// radius exist, none above the band), every site with no atom within the normal radius has
/// the carbon rule's kind, and the three particles are exactly the layer's sites within 7 Å
/// of the three stated centres (so they lie on the lattice they slide on).
#[test]
fn substrate_band_holds_particles_on_the_layer_lattice() {
    let s = scenario::read(&root().join("scenarios/au_mixture.toml")).unwrap();
    let system = s.build_system(0).unwrap();
    let g = &system.graph;
    let kind = |name: &str| g.kind_names().iter().position(|k| k == name).unwrap();
    let domain = |name: &str| g.domain_names().iter().position(|d| d == name).unwrap();
    let (layer, carbon) = (domain("rodA/au_layer"), domain("carbon"));
    let carbon_z = -11.66;
    let atoms: Vec<[f64; 3]> = (0..g.len())
        .filter(|&i| {
            let d = g.domains()[i].index();
            d == carbon || g.domain_names()[d].ends_with("/CdSe_rod")
        })
        .map(|i| {
            #[allow(clippy::cast_possible_truncation)]
            g.position(SiteId(i as u32))
        })
        .collect();
    let dist2 = |a: [f64; 3], b: [f64; 3]| (0..3).map(|k| (a[k] - b[k]).powi(2)).sum::<f64>();
    let centres = [[-40.0, -11.0, -2.4], [40.0, 11.0, -2.4], [0.0, 38.0, -2.4]];
    // the highest site with no atom within the normal radius (6 Å), and how many there are
    let mut top: f64 = f64::NEG_INFINITY;
    let mut high = 0;
    let mut in_sphere = [0usize; 3];
    let mut gold = [0usize; 3];
    for i in 0..g.len() {
        #[allow(clippy::cast_possible_truncation)]
        let site = SiteId(i as u32);
        let occupied = !system.species[i].is_vacancy();
        if g.domains()[i].index() != layer {
            let gold_kind = g.kind_names()[g.kind(site).index()].starts_with("au_");
            assert!(
                !(occupied && gold_kind),
                "gold outside rod A's layer at site {i}"
            );
            continue;
        }
        let p = g.position(site);
        if atoms.iter().all(|&a| dist2(a, p) > 36.0) {
            top = top.max(p[2]);
            high += 1;
            assert_eq!(g.kind(site).index(), kind("au_carbon"), "band site {p:?}");
        }
        let sphere = centres.iter().position(|c| dist2(p, *c) < 49.0);
        match sphere {
            Some(k) => {
                in_sphere[k] += 1;
                gold[k] += usize::from(occupied);
            }
            None => assert!(!occupied, "gold outside the spheres at {p:?}"),
        }
    }
    assert!(
        top > carbon_z + 15.0 && top <= carbon_z + 18.0 + 1e-9,
        "top of the band at {top}"
    );
    assert!(high > 1000, "{high} band sites away from every atom");
    assert_eq!(in_sphere, gold, "every site of each sphere holds gold");
    assert!(gold.iter().all(|&n| n > 60), "particles of {gold:?} atoms");
}
