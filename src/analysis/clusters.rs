//! `type = "clusters"`: connected components of chosen species along a named shell, their
//! size, centre and radius of gyration, and their identity followed from frame to frame.
//!
//! # Identity across frames
//! Sites are not tagged, so a cluster is followed by the sites it shares with the clusters
//! of the previous frame (atom overlap):
//! 1. every old cluster *continues into* the new cluster with which it shares most sites
//!    (ties: the lower new index, i.e. the one whose lowest site comes first);
//! 2. a new cluster into which several old ones continue is a **coalescence** of them (one
//!    per old cluster beyond the first); it keeps the identity of the old cluster that
//!    shares most sites with it (ties: the earlier old cluster);
//! 3. a new cluster that shares sites only with old clusters continuing elsewhere is a
//!    **split** and gets a new identity;
//! 4. old and new clusters that share no site at all are paired when they have the same
//!    size, by increasing minimum-image distance of their centres, up to `max_jump` [Å]
//!    (unlimited by default): a cluster that moved as a whole, such as a single atom that
//!    hopped, keeps its identity;
//! 5. old clusters left over **disappeared**, new ones left over **appeared**.
//!
//! The centre of a followed cluster is unwrapped across periodic boundaries by the
//! minimum image of its move between consecutive frames, so the mean-square displacement
//! of the clusters present at frame 0 and still followed is the tracer MSD of a single
//! atom (a cluster of size 1) or the diffusion of a cluster's centre.

use super::geometry::{MinImage, for_each_component, norm2, sub};
use super::region::Region;
use super::{Frame, Measurement, State, Value, mean};
use crate::model::SpeciesSet;
use crate::sites::{ShellId, SiteId};

/// A clusters entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Clusters {
    /// Species whose atoms form the clusters.
    pub species: SpeciesSet,
    /// Neighbour relation that connects them.
    pub shell: ShellId,
    /// Sites considered (atoms outside are ignored).
    pub region: Region,
    /// Smallest cluster counted and followed [atoms].
    pub min_size: u64,
    /// Largest move of a cluster that shares no site with its previous position [Å]
    /// (`None`: unlimited).
    pub max_jump: Option<f64>,
    /// Edges of the size histogram [atoms]; bin `i` is `[edges[i], edges[i + 1])`.
    pub size_edges: Vec<f64>,
}

/// The default histogram edges: 1, 2, 4, …, 2²⁴ atoms.
#[must_use]
pub fn default_size_edges() -> Vec<f64> {
    (0..=24).map(|k| f64::from(1u32 << k)).collect()
}

/// A cluster of one frame.
#[derive(Debug, Clone)]
struct Found {
    size: u64,
    /// Centroid of the unwrapped member positions [Å].
    centre: [f64; 3],
    /// Radius of gyration [Å].
    radius_of_gyration: f64,
}

/// A cluster being followed.
#[derive(Debug, Clone)]
struct Followed {
    size: u64,
    /// Centre as found in the last frame [Å].
    centre: [f64; 3],
    /// Centre unwrapped since the cluster appeared [Å].
    unwrapped: [f64; 3],
    /// Unwrapped centre at frame 0, for clusters present then [Å].
    origin: Option<[f64; 3]>,
}

/// What a clusters entry carries between frames.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    started: bool,
    clusters: Vec<Followed>,
    /// `(site, index in clusters)`, sorted by site: the members of the last frame.
    members: Vec<(u32, u32)>,
    coalescences: u64,
    disappearances: u64,
    appearances: u64,
    splits: u64,
}

impl Clusters {
    /// Finds the clusters of `frame`, follows them from the previous frame and appends the
    /// measurements (see `docs/analysis.md`).
    // three stages (find, follow, report), each commented; splitting would pass their state around.
    #[allow(clippy::too_many_lines)]
    pub fn measure(
        &self,
        frame: &Frame,
        name: &str,
        state: &mut State,
        out: &mut Vec<Measurement>,
    ) {
        if !matches!(state, State::Clusters(_)) {
            *state = State::Clusters(Tracker::default());
        }
        let State::Clusters(tracker) = state else {
            return;
        };
        let graph = frame.graph;
        let image = MinImage::new(graph.simulation_box());
        let region = self.region.resolve(|| frame.atom_centroid());
        let everywhere = self.region.is_everything();
        let member = |i: usize| {
            #[allow(clippy::cast_possible_truncation)]
            let site = SiteId(i as u32);
            self.species.contains(frame.species[i]) && (everywhere || region.contains(graph, site))
        };

        // Stage 1: the clusters of this frame and their member sites.
        let mut found: Vec<Found> = Vec::new();
        let mut members: Vec<(u32, u32)> = Vec::new();
        for_each_component(
            graph,
            self.shell,
            member,
            |_| false,
            &image,
            |c| {
                let size = c.sites.len() as u64;
                if size < self.min_size {
                    return;
                }
                #[allow(clippy::cast_precision_loss)]
                let n = size as f64;
                let mut centre = [0.0; 3];
                for p in &c.unwrapped {
                    for a in 0..3 {
                        centre[a] += p[a] / n;
                    }
                }
                let rg2 = c
                    .unwrapped
                    .iter()
                    .map(|p| norm2(sub(*p, centre)))
                    .sum::<f64>()
                    / n;
                #[allow(clippy::cast_possible_truncation)]
                let index = found.len() as u32;
                members.extend(c.sites.iter().map(|s| (s.0, index)));
                found.push(Found {
                    size,
                    centre,
                    radius_of_gyration: rg2.sqrt(),
                });
            },
        );
        members.sort_unstable();

        // Stage 2: identities.
        let followed = if tracker.started {
            tracker.follow(&found, &members, &image, self.max_jump)
        } else {
            tracker.started = true;
            found
                .iter()
                .map(|f| Followed {
                    size: f.size,
                    centre: f.centre,
                    unwrapped: f.centre,
                    origin: Some(f.centre),
                })
                .collect()
        };

        // Stage 3: the measurements.
        let count = found.len() as u64;
        let atoms: u64 = found.iter().map(|f| f.size).sum();
        let max = found.iter().map(|f| f.size).max().unwrap_or(0);
        let rg: f64 = found.iter().map(|f| f.radius_of_gyration).sum();
        let mut msd = 0.0;
        let mut tracked = 0u64;
        for f in &followed {
            if let Some(o) = f.origin {
                msd += norm2(sub(f.unwrapped, o));
                tracked += 1;
            }
        }
        let mut histogram = vec![0.0; self.size_edges.len().saturating_sub(1)];
        for f in &found {
            #[allow(clippy::cast_precision_loss)]
            let s = f.size as f64;
            if let Some(i) = self
                .size_edges
                .windows(2)
                .position(|w| s >= w[0] && s < w[1])
            {
                histogram[i] += 1.0;
            }
        }
        tracker.clusters = followed;
        tracker.members = members;
        #[allow(clippy::cast_precision_loss)]
        {
            out.push(Measurement::scalar(name, "count", "1", count as f64));
            out.push(Measurement::scalar(name, "atoms", "atoms", atoms as f64));
            out.push(Measurement::scalar(
                name,
                "mean_size",
                "atoms",
                mean(atoms as f64, count),
            ));
            out.push(Measurement::scalar(name, "max_size", "atoms", max as f64));
            out.push(Measurement::scalar(
                name,
                "mean_radius_of_gyration",
                "angstrom",
                mean(rg, count),
            ));
            out.push(Measurement::scalar(
                name,
                "msd",
                "angstrom^2",
                mean(msd, tracked),
            ));
            out.push(Measurement::scalar(name, "tracked", "1", tracked as f64));
            out.push(Measurement::scalar(
                name,
                "coalescences",
                "1",
                tracker.coalescences as f64,
            ));
            out.push(Measurement::scalar(
                name,
                "disappearances",
                "1",
                tracker.disappearances as f64,
            ));
            out.push(Measurement::scalar(
                name,
                "appearances",
                "1",
                tracker.appearances as f64,
            ));
            out.push(Measurement::scalar(
                name,
                "splits",
                "1",
                tracker.splits as f64,
            ));
        }
        out.push(Measurement {
            name: format!("{name}:size_histogram"),
            unit: "1",
            value: Value::Distribution {
                values: histogram,
                edges: self.size_edges.clone(),
                edges_unit: "atoms",
            },
        });
    }
}

impl Tracker {
    /// Gives each cluster of the new frame an identity (see the module documentation) and
    /// counts coalescences, splits, appearances and disappearances.
    fn follow(
        &mut self,
        found: &[Found],
        members: &[(u32, u32)],
        image: &MinImage,
        max_jump: Option<f64>,
    ) -> Vec<Followed> {
        // shared sites per (new, old) pair, from the two sorted member lists.
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < members.len() && j < self.members.len() {
            match members[i].0.cmp(&self.members[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    pairs.push((members[i].1, self.members[j].1));
                    i += 1;
                    j += 1;
                }
            }
        }
        pairs.sort_unstable();
        let mut overlaps: Vec<(u32, u32, u64)> = Vec::new();
        for &(c, p) in &pairs {
            match overlaps.last_mut() {
                Some(last) if last.0 == c && last.1 == p => last.2 += 1,
                _ => overlaps.push((c, p, 1)),
            }
        }
        // 1. where each old cluster continues: (new index, shared sites).
        let mut continues: Vec<Option<(u32, u64)>> = vec![None; self.clusters.len()];
        for &(c, p, n) in &overlaps {
            let slot = &mut continues[p as usize];
            if slot.is_none_or(|(_, best)| n > best) {
                *slot = Some((c, n));
            }
        }
        // 2. and 3. coalescences and splits.
        let mut heir: Vec<Option<(u32, u64)>> = vec![None; found.len()];
        let mut sources = vec![0u64; found.len()];
        let mut touched = vec![false; found.len()];
        for (p, cont) in continues.iter().enumerate() {
            if let Some((c, n)) = *cont {
                let c = c as usize;
                sources[c] += 1;
                #[allow(clippy::cast_possible_truncation)]
                if heir[c].is_none_or(|(_, best)| n > best) {
                    heir[c] = Some((p as u32, n));
                }
            }
        }
        for &(c, _, _) in &overlaps {
            touched[c as usize] = true;
        }
        let mut result: Vec<Option<Followed>> = vec![None; found.len()];
        for (c, f) in found.iter().enumerate() {
            if let Some((p, _)) = heir[c] {
                self.coalescences += sources[c] - 1;
                result[c] = Some(Self::continued(&self.clusters[p as usize], f, image));
            } else if touched[c] {
                self.splits += 1;
                result[c] = Some(Self::fresh(f));
            }
        }
        // 4. clusters that moved as a whole.
        let lost: Vec<usize> = (0..self.clusters.len())
            .filter(|&p| continues[p].is_none())
            .collect();
        let unmatched: Vec<usize> = (0..found.len()).filter(|&c| result[c].is_none()).collect();
        let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
        for &p in &lost {
            let old = &self.clusters[p];
            for &c in &unmatched {
                if found[c].size != old.size {
                    continue;
                }
                let d2 = norm2(image.apply(sub(found[c].centre, old.centre)));
                if max_jump.is_none_or(|m| d2 <= m * m) {
                    candidates.push((d2, p, c));
                }
            }
        }
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut old_used = vec![false; self.clusters.len()];
        for (_, p, c) in candidates {
            if old_used[p] || result[c].is_some() {
                continue;
            }
            old_used[p] = true;
            result[c] = Some(Self::continued(&self.clusters[p], &found[c], image));
        }
        // 5. the rest.
        self.disappearances += lost.iter().filter(|&&p| !old_used[p]).count() as u64;
        found
            .iter()
            .zip(result)
            .map(|(f, r)| {
                r.unwrap_or_else(|| {
                    self.appearances += 1;
                    Self::fresh(f)
                })
            })
            .collect()
    }

    /// The old cluster `old`, now found as `f`.
    fn continued(old: &Followed, f: &Found, image: &MinImage) -> Followed {
        let d = image.apply(sub(f.centre, old.centre));
        Followed {
            size: f.size,
            centre: f.centre,
            unwrapped: [
                old.unwrapped[0] + d[0],
                old.unwrapped[1] + d[1],
                old.unwrapped[2] + d[2],
            ],
            origin: old.origin,
        }
    }

    /// A cluster with a new identity.
    fn fresh(f: &Found) -> Followed {
        Followed {
            size: f.size,
            centre: f.centre,
            unwrapped: f.centre,
            origin: None,
        }
    }
}
