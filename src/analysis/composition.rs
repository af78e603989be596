//! `type = "composition"`: how many atoms of each species sit in a region, their fractions
//! and the occupancy of the region's sites; with `per = "S"`, the count of each species per
//! atom of `S` counted in the same region without its kind filter (e.g. Cu on the
//! tetrahedral holes per Se: the local signature of `Cu₂Se` on the Se sublattice).

use super::region::Region;
use super::{Frame, Measurement, mean};
use crate::sites::SiteId;
use crate::state::SpeciesId;

/// A composition entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Composition {
    /// Where to count.
    pub region: Region,
    /// The species reported, with their names.
    pub species: Vec<(SpeciesId, String)>,
    /// Species to normalise by, counted in the region without its kind filter.
    pub per: Option<(SpeciesId, String)>,
}

impl Composition {
    /// Appends `<name>:sites`, `<name>:atoms` and, per species `S`, `<name>:S` [atoms],
    /// `<name>:fraction:S` (of the atoms in the region), `<name>:occupancy:S` (of its
    /// sites) and, with `per = "P"`, `<name>:per_P:S`.
    pub fn measure(&self, frame: &Frame, name: &str, out: &mut Vec<Measurement>) {
        let graph = frame.graph;
        let region = self.region.resolve(|| frame.atom_centroid());
        let per_region = self.per.as_ref().map(|_| Region {
            kinds: None,
            ..self.region.clone()
        });
        let per_resolved = per_region
            .as_ref()
            .map(|r| r.resolve(|| frame.atom_centroid()));
        let mut counts = [0u64; 64];
        let mut sites = 0u64;
        let mut per_count = 0u64;
        for (i, s) in frame.species.iter().enumerate() {
            #[allow(clippy::cast_possible_truncation)]
            let site = SiteId(i as u32);
            if region.contains(graph, site) {
                sites += 1;
                counts[s.index()] += 1;
            }
            if let (Some((p, _)), Some(r)) = (&self.per, &per_resolved)
                && s == p
                && r.contains(graph, site)
            {
                per_count += 1;
            }
        }
        let atoms = sites - counts[0];
        #[allow(clippy::cast_precision_loss)]
        {
            out.push(Measurement::scalar(name, "sites", "sites", sites as f64));
            out.push(Measurement::scalar(name, "atoms", "atoms", atoms as f64));
            for (s, sname) in &self.species {
                let n = counts[s.index()] as f64;
                out.push(Measurement::scalar(name, sname, "atoms", n));
                out.push(Measurement::scalar(
                    name,
                    &format!("fraction:{sname}"),
                    "1",
                    mean(n, atoms),
                ));
                out.push(Measurement::scalar(
                    name,
                    &format!("occupancy:{sname}"),
                    "1",
                    mean(n, sites),
                ));
                if let Some((_, pname)) = &self.per {
                    out.push(Measurement::scalar(
                        name,
                        &format!("per_{pname}:{sname}"),
                        "1",
                        mean(n, per_count),
                    ));
                }
            }
        }
    }
}
