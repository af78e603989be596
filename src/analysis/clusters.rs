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
    /// Neighbour relations that connect them (along any of them).
    pub shells: Vec<ShellId>,
    /// Sites considered (atoms outside are ignored).
    pub region: Region,
    /// Smallest cluster counted and followed [atoms].
    pub min_size: u64,
    /// Largest move of a cluster that shares no site with its previous position [Å]
    /// (`None`: unlimited).
    pub max_jump: Option<f64>,
    /// Edges of the size histogram [atoms]; bin `i` is `[edges[i], edges[i + 1])`.
    pub size_edges: Vec<f64>,
    /// The contact that attaches a cluster (e.g. to a support): a cluster with a member
    /// that has a neighbour along `shell` holding one of `species` is *attached*, the others
    /// are *free*; `None`: no such measurements.
    pub attached_to: Option<Attachment>,
}

/// A contact: a neighbour along `shell` holding one of `species`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// The neighbour relation of the contact.
    pub shell: ShellId,
    /// The species of the neighbour.
    pub species: SpeciesSet,
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
    /// A member in contact (`attached_to`).
    attached: bool,
}

/// Greedy pairing of the lost old clusters with the unmatched new ones of equal size, by
/// increasing minimum-image distance of their centres up to `max_jump` (ties: lower old,
/// then lower new index), as if all pairs were sorted at once; returns `(old, new)` pairs.
///
/// PERF: done in rounds of doubling radius `r` (from 4 Å), each over a grid of cells at
/// least `r` wide in fractional coordinates, so that only pairs closer than `r` are
/// formed: after the greedy pass over every pair within `r`, no unmatched pair within `r`
/// is left, so the rounds reproduce the global order exactly. Thousands of monomers that
/// all hopped between two frames cost O(n), not O(n²). The last round (radius beyond the
/// box) compares every remaining pair.
fn pair_by_distance(
    old: &[Followed],
    lost: &[usize],
    found: &[Found],
    unmatched: &[usize],
    image: &MinImage,
    max_jump: Option<f64>,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut lost: Vec<usize> = lost.to_vec();
    let mut free: Vec<usize> = unmatched.to_vec();
    let bound = image.span();
    let limit = max_jump.unwrap_or(f64::INFINITY);
    let mut r: f64 = 4.0f64.min(limit);
    loop {
        if lost.is_empty() || free.is_empty() {
            break;
        }
        let everything = r >= bound;
        let grid = Grid::new(image, if everything { f64::INFINITY } else { r });
        let mut cells: std::collections::HashMap<[usize; 3], Vec<usize>> =
            std::collections::HashMap::new();
        for &c in &free {
            cells.entry(grid.cell(found[c].centre)).or_default().push(c);
        }
        let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
        for &p in &lost {
            let o = &old[p];
            for key in grid.around(grid.cell(o.centre)) {
                let Some(list) = cells.get(&key) else {
                    continue;
                };
                for &c in list {
                    if found[c].size != o.size {
                        continue;
                    }
                    let d2 = norm2(image.apply(sub(found[c].centre, o.centre)));
                    if (everything || d2 <= r * r) && d2 <= limit * limit {
                        candidates.push((d2, p, c));
                    }
                }
            }
        }
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut old_used: std::collections::HashSet<usize> = std::collections::HashSet::new();
        let mut new_used: std::collections::HashSet<usize> = std::collections::HashSet::new();
        for (_, p, c) in candidates {
            if old_used.contains(&p) || new_used.contains(&c) {
                continue;
            }
            old_used.insert(p);
            new_used.insert(c);
            out.push((p, c));
        }
        lost.retain(|p| !old_used.contains(p));
        free.retain(|c| !new_used.contains(c));
        if everything || r >= limit {
            break;
        }
        r = (2.0 * r).min(limit);
    }
    out
}

/// Cells at least `r` wide along each axis of the box, in fractional coordinates (wrapped
/// along periodic axes, clamped along open ones); an axis narrower than 3 cells is one cell.
struct Grid<'a> {
    image: &'a MinImage,
    n: [usize; 3],
}

impl<'a> Grid<'a> {
    fn new(image: &'a MinImage, r: f64) -> Self {
        let widths = image.widths();
        let mut n = [1usize; 3];
        for a in 0..3 {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let k = if r.is_finite() && r > 0.0 {
                (widths[a] / r).floor() as usize
            } else {
                1
            };
            n[a] = if k >= 3 { k.min(1 << 10) } else { 1 };
        }
        Self { image, n }
    }

    fn cell(&self, p: [f64; 3]) -> [usize; 3] {
        let f = self.image.fractional(p);
        let mut out = [0usize; 3];
        for a in 0..3 {
            if self.n[a] > 1 {
                #[allow(clippy::cast_precision_loss)]
                let n = self.n[a] as f64;
                let x = if self.image.periodic(a) {
                    f[a].rem_euclid(1.0)
                } else {
                    f[a]
                };
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let i = (x * n).floor().clamp(0.0, n - 1.0) as usize;
                out[a] = i;
            }
        }
        out
    }

    /// The cell and its neighbours (each once).
    fn around(&self, c: [usize; 3]) -> Vec<[usize; 3]> {
        let offsets = |a: usize| -> Vec<usize> {
            let n = self.n[a];
            if n == 1 {
                return vec![0];
            }
            let mut v = Vec::new();
            for d in [-1i64, 0, 1] {
                #[allow(clippy::cast_possible_wrap)]
                let i = c[a] as i64 + d;
                #[allow(
                    clippy::cast_possible_wrap,
                    clippy::cast_sign_loss,
                    clippy::cast_possible_truncation
                )]
                let j = if self.image.periodic(a) {
                    i.rem_euclid(n as i64) as usize
                } else if i < 0 || i >= n as i64 {
                    continue;
                } else {
                    i as usize
                };
                v.push(j);
            }
            v
        };
        let (x, y, z) = (offsets(0), offsets(1), offsets(2));
        let mut out = Vec::with_capacity(x.len() * y.len() * z.len());
        for &i in &x {
            for &j in &y {
                for &k in &z {
                    out.push([i, j, k]);
                }
            }
        }
        out
    }
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
            &self.shells,
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
                let attached = self.attached_to.as_ref().is_some_and(|a| {
                    c.sites.iter().any(|&s| {
                        graph
                            .neighbors(s, a.shell)
                            .any(|n| a.species.contains(frame.species[n.index()]))
                    })
                });
                found.push(Found {
                    size,
                    centre,
                    radius_of_gyration: rg2.sqrt(),
                    attached,
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
            if self.attached_to.is_some() {
                let (attached, free): (Vec<&Found>, Vec<&Found>) =
                    found.iter().partition(|f| f.attached);
                let sum = |v: &[&Found]| v.iter().map(|f| f.size).sum::<u64>() as f64;
                out.push(Measurement::scalar(
                    name,
                    "attached_atoms",
                    "atoms",
                    sum(&attached),
                ));
                out.push(Measurement::scalar(name, "free_atoms", "atoms", sum(&free)));
                out.push(Measurement::scalar(
                    name,
                    "free_count",
                    "1",
                    free.len() as f64,
                ));
            }
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
        let mut old_used = vec![false; self.clusters.len()];
        let mut pairs = Vec::new();
        for (p, c) in pair_by_distance(&self.clusters, &lost, found, &unmatched, image, max_jump) {
            old_used[p] = true;
            pairs.push((p, c));
        }
        for (p, c) in pairs {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::SimulationBox;
    use rand::{Rng, SeedableRng};

    /// The grid rounds give the same pairs as sorting every pair at once: 300 lost and 280
    /// new monomers and dimers at random in a periodic 40 Å box (seed 11), with and without
    /// `max_jump`.
    #[test]
    fn clusters_grid_pairing_equals_global_greedy() {
        let b = SimulationBox {
            origin: [0.0; 3],
            edges: [[40.0, 0.0, 0.0], [0.0, 40.0, 0.0], [0.0, 0.0, 40.0]],
            periodic: [true, true, true],
        };
        let image = MinImage::new(&b);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        let mut point = || [0, 1, 2].map(|_| rng.random_range(0.0..40.0));
        let old: Vec<Followed> = (0..300)
            .map(|i| {
                let c = point();
                Followed {
                    size: 1 + i % 2,
                    centre: c,
                    unwrapped: c,
                    origin: None,
                }
            })
            .collect();
        let found: Vec<Found> = (0..280)
            .map(|i| Found {
                size: 1 + (i / 3) % 2,
                centre: point(),
                radius_of_gyration: 0.0,
                attached: false,
            })
            .collect();
        let lost: Vec<usize> = (0..old.len()).collect();
        let unmatched: Vec<usize> = (0..found.len()).collect();
        for max_jump in [None, Some(6.0)] {
            let mut all = Vec::new();
            for &p in &lost {
                for &c in &unmatched {
                    let d2 = norm2(image.apply(sub(found[c].centre, old[p].centre)));
                    if found[c].size == old[p].size && max_jump.is_none_or(|m: f64| d2 <= m * m) {
                        all.push((d2, p, c));
                    }
                }
            }
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            let (mut po, mut pc) = (vec![false; old.len()], vec![false; found.len()]);
            let mut expected = Vec::new();
            for (_, p, c) in all {
                if !po[p] && !pc[c] {
                    po[p] = true;
                    pc[c] = true;
                    expected.push((p, c));
                }
            }
            let mut got = pair_by_distance(&old, &lost, &found, &unmatched, &image, max_jump);
            expected.sort_unstable();
            got.sort_unstable();
            assert_eq!(got, expected, "max_jump {max_jump:?}");
        }
    }
}
