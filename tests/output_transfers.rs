//! `/observables/transfers`: atoms moved between domains close the balance of every domain
//! exactly. In every frame and for every domain d and species s,
//!
//! N_d,s(t) − N_d,s(0) = Σ_j T(j → d, s) − Σ_j T(d → j, s) − evaporated_d,s + deposited_d,s,
//!
//! checked on
//! - the shipped CdSe/Cu3P/CdSe sandwich (three domains) made small (1.2 nm radius), through
//!   its whole 300/350/400 °C program: Cu hops across the two interfaces, Cd, Se and P
//!   evaporate, and rate scaling is on;
//! - `tests/data/run/interdiffusion.toml`: a cube of A beside a cube of B exchanging atoms
//!   across their interface (both atoms of each exchange cross) while A evaporates.
//!
//! The checks are exact (no tolerance). Broken on purpose once: counting only the first
//! atom of a two-site move fails the interdiffusion balance (B never arrives on the left).

use std::path::{Path, PathBuf};
use std::process::Command;

fn read_u64(file: &hdf5::File, name: &str) -> (Vec<usize>, Vec<u64>) {
    let ds = file.dataset(&format!("observables/{name}/value")).unwrap();
    (ds.shape(), ds.read_raw::<u64>().unwrap())
}

/// Runs `scenario` and checks the balance of every domain, species and frame; returns the
/// last frame's transfers with their shape (domains, species names).
fn run_and_check_balance(scenario: &Path, out: &Path) -> (Vec<i128>, usize, Vec<String>) {
    let status = Command::new(env!("CARGO_BIN_EXE_nanokmc"))
        .args(["run", "--threads", "1", "--out"])
        .arg(out)
        .arg(scenario)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let file = hdf5::File::open(out).unwrap();
    let (shape, counts) = read_u64(&file, "species_counts");
    let (_, evaporated) = read_u64(&file, "evaporated");
    let (_, deposited) = read_u64(&file, "deposited");
    let (tshape, transfers) = read_u64(&file, "transfers");
    let (frames, nd, ns) = (shape[0], shape[1], shape[2]);
    assert_eq!(tshape, vec![frames, nd, nd, ns]);
    let c = |f: usize, d: usize, s: usize| i128::from(counts[(f * nd + d) * ns + s]);
    let t = |f: usize, a: usize, b: usize, s: usize| {
        i128::from(transfers[((f * nd + a) * nd + b) * ns + s])
    };
    let e = |f: usize, d: usize, s: usize| i128::from(evaporated[(f * nd + d) * ns + s]);
    let p = |f: usize, d: usize, s: usize| i128::from(deposited[(f * nd + d) * ns + s]);
    for f in 0..frames {
        for d in 0..nd {
            for s in 1..ns {
                assert_eq!(t(f, d, d, s), 0, "diagonal");
                let inflow: i128 = (0..nd).map(|j| t(f, j, d, s)).sum();
                let outflow: i128 = (0..nd).map(|j| t(f, d, j, s)).sum();
                let change = c(f, d, s) - c(0, d, s);
                let balance =
                    inflow - outflow - (e(f, d, s) - e(0, d, s)) + (p(f, d, s) - p(0, d, s));
                assert_eq!(change, balance, "frame {f}, domain {d}, species {s}");
            }
        }
    }
    let names: Vec<hdf5::types::VarLenUnicode> = file
        .dataset("observables/transfers/value")
        .unwrap()
        .attr("species")
        .unwrap()
        .read_raw()
        .unwrap();
    let last = frames - 1;
    let inner = nd * nd * ns;
    let tail = transfers[last * inner..(last + 1) * inner]
        .iter()
        .map(|&x| i128::from(x))
        .collect();
    (
        tail,
        nd,
        names.iter().map(|n| n.as_str().to_string()).collect(),
    )
}

/// A and B exchange across the interface of two cubes: both directions are counted, and
/// every exchange moves one A right and one B left.
#[test]
fn transfers_count_both_atoms_of_an_exchange() {
    let dir = tempfile::tempdir().unwrap();
    let scenario =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/run/interdiffusion.toml");
    let (t, nd, species) = run_and_check_balance(&scenario, &dir.path().join("i.h5md"));
    assert_eq!(nd, 2);
    let ns = species.len();
    let a = species.iter().position(|n| n == "A").unwrap();
    let b = species.iter().position(|n| n == "B").unwrap();
    let at = |from: usize, to: usize, s: usize| t[(from * nd + to) * ns + s];
    // left = 0 (A), right = 1 (B): net A to the right equals net B to the left.
    assert!(at(0, 1, a) > 20, "{t:?}");
    assert!(at(1, 0, b) > 20, "{t:?}");
    assert_eq!(at(0, 1, a) - at(1, 0, a), at(1, 0, b) - at(0, 1, b));
}

#[test]
fn transfers_close_the_balance_of_every_domain() {
    let dir = tempfile::tempdir().unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("scenarios/cdse_cu3p_sandwich.toml")).unwrap();
    let potential = root.join("potentials/cdse_cu3p.toml");
    let text = text
        .replace("radius = \"20 A\"", "radius = \"12 A\"")
        .replace(
            "potential = \"../potentials/cdse_cu3p.toml\"",
            &format!("potential = {:?}", potential.display().to_string()),
        );
    let scenario = dir.path().join("sandwich.toml");
    std::fs::write(&scenario, text).unwrap();
    let (t, nd, species) = run_and_check_balance(&scenario, &dir.path().join("sandwich.h5md"));
    assert_eq!(nd, 3);
    let ns = species.len();
    // Cu leaves the centre (domain 0) for both CdSe domains (1 and 2).
    let cu = species.iter().position(|n| n == "Cu").unwrap();
    let from_centre = |to: usize| t[to * ns + cu];
    assert!(from_centre(1) > 10 && from_centre(2) > 10, "{t:?}");
}
