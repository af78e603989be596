//! Shipped scenarios and the good scenario corpus build exactly the same sites as before
//! the geometry features of issue 12 (custom crystals, orientation, adsorption layers,
//! stoichiometric trimming): the reference digests in `tests/data/reference/sites.txt` were
//! written on the commit before those features. A digest covers every site's position
//! (bits), kind, domain and initial species, and every neighbour count per shell.
//! Regenerate only on purpose with `UPDATE_REFERENCE=1 cargo test --test geometry_sites`.

use std::fmt::Write as _;
use std::path::PathBuf;

use nanokmc::scenario;
use nanokmc::sites::{ShellId, SiteId};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// FNV-1a over the bytes fed to it.
struct Digest(u64);

impl Digest {
    fn eat(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn digest(path: &std::path::Path) -> String {
    let s = scenario::read(path).unwrap();
    let system = s.build_system(0).unwrap();
    let g = &system.graph;
    let mut d = Digest(0xcbf2_9ce4_8422_2325);
    for (i, p) in g.positions().iter().enumerate() {
        for x in p {
            d.eat(&x.to_bits().to_le_bytes());
        }
        #[allow(clippy::cast_possible_truncation)]
        let site = SiteId(i as u32);
        d.eat(&(g.kind(site).index() as u64).to_le_bytes());
        d.eat(&(g.domain(site).index() as u64).to_le_bytes());
        d.eat(&(system.species[i].index() as u64).to_le_bytes());
        for shell in 0..g.shell_count() {
            #[allow(clippy::cast_possible_truncation)]
            let n = g.neighbor_count(site, ShellId(shell as u8));
            d.eat(&(n as u64).to_le_bytes());
        }
    }
    format!("{} sites, digest {:016x}", g.len(), d.0)
}

fn files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["scenarios", "tests/data/scenarios/good"] {
        let mut here: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        here.sort();
        out.extend(here);
    }
    out
}

/// Every file listed in the reference builds the same digest; `UPDATE_REFERENCE=1` rewrites
/// the reference from the files present now.
#[test]
fn shipped_scenarios_build_the_same_sites_as_before() {
    let reference = root().join("tests/data/reference/sites.txt");
    let mut now = String::new();
    for f in files() {
        let name = f.strip_prefix(root()).unwrap().display().to_string();
        let _ = writeln!(now, "{name}: {}", digest(&f));
    }
    if std::env::var_os("UPDATE_REFERENCE").is_some() {
        std::fs::write(&reference, &now).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&reference).unwrap();
    for line in expected.lines() {
        assert!(
            now.lines().any(|l| l == line),
            "changed sites: expected `{line}`; now:\n{now}"
        );
    }
}
