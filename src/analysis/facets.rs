//! `type = "facets"`: the areas of the crystal facets of a particle, by facet family.
//!
//! A *surface atom* is a selected atom with at least one vacant neighbour in `shell`. Its
//! local outward normal is the sum of the vectors to its vacant neighbours. Each family
//! (`{hkl}`, `{hkil}` or one plane `(hkl)`, in the cell of a domain) stands for a set of
//! unit plane normals in the box frame; a surface atom belongs to the normal closest to its
//! own, if that normal is within `max_angle` of it (ties go to the family listed first).
//! The atoms of one normal are split into *patches*: two of them are connected when one is
//! reachable from the other in one or two steps of `shell` (through any site, so that the
//! cations of a facet connect through its anions, and the atoms of a {111} plane of a
//! simple cubic lattice through the plane below). A patch's area is the area of the
//! convex hull of its atoms projected on its plane. The area
//! of a family is the sum over its patches.
//!
//! What this measures, and what not:
//! - The hull runs through atom centres, so a facet of `n × n` atoms on a square net of
//!   spacing `a` counts `((n − 1) a)²`: the outermost half-spacing strip is not counted,
//!   and a patch of one atom or one row has area 0. For a TEM comparison the size of a facet
//!   is the quantity; add `perimeter × a/2` for the area a continuum Wulff shape would give.
//! - Edge and corner atoms whose normal is further than `max_angle` from every family
//!   normal belong to no facet (`unassigned_atoms`).
//! - `{…}` expands a plane over the symmetry of the domain's *lattice* (its holohedry: the
//!   rotations that map the cell's lattice onto itself), not of its structure: `{0001}` of
//!   wurtzite holds both polar planes (0001) and (000-1). Write `(0001)` and `(000-1)` as two
//!   families to tell them apart.
//! - Displacements follow the minimum-image convention, and a patch is unwrapped from its
//!   first atom, so a facet may cross a periodic boundary.
//!
//! Cost: one pass over the selected atoms and their shell neighbours, and a hull per patch:
//! cheap beside a frame's other observables.

use std::collections::VecDeque;

use nalgebra::{Matrix3, Vector3};

use super::geometry::{MinImage, sub};
use super::region::Region;
use super::{Frame, Measurement};
use crate::model::SpeciesSet;
use crate::sites::{ShellId, SiteId};

/// A facets entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Facets {
    /// Atoms considered (`None`: every species).
    pub species: Option<SpeciesSet>,
    /// Where.
    pub region: Region,
    /// Shell that defines surface atoms, their normals and (in one or two steps) the
    /// connectivity of patches.
    pub shell: ShellId,
    /// The facet families, in the order written.
    pub families: Vec<Family>,
    /// Largest angle between an atom's normal and its facet's normal [rad].
    pub max_angle: f64,
}

/// One facet family: its label as written and its unit normals in the box frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// As written (`{111}`, `(000-1)`, `{10-10}`); names the measured quantities.
    pub label: String,
    /// Unit outward normals of the planes of the family, box frame, without duplicates.
    pub normals: Vec<[f64; 3]>,
}

impl Family {
    /// Parses a family written `{hkl}`, `{hkil}`, `(hkl)` or `(hkil)` (single-digit indices,
    /// a `-` before a negative one; or separated by spaces or commas, `{1 1 1}`), and
    /// expands it with `cell` (rows `a`, `b`, `c` in the box frame [Å]): the plane normal is
    /// `n = A⁻¹ (h, k, l)ᵀ`; braces add every image of `n` under the lattice's rotations.
    ///
    /// # Errors
    /// A message (without location) for a malformed family, a four-index family with
    /// `i ≠ −(h + k)`, all-zero indices, or a degenerate cell.
    pub fn parse(text: &str, cell: &[[f64; 3]; 3]) -> Result<Self, String> {
        let t = text.trim();
        let (open, close, all) = match t.chars().next() {
            Some('{') => ('{', '}', true),
            Some('(') => ('(', ')', false),
            _ => {
                return Err(format!(
                    "`{text}` is not a facet family: write `{{hkl}}` (a family) or `(hkl)` (one plane), e.g. `{{111}}`, `{{10-10}}`, `(000-1)`"
                ));
            }
        };
        let Some(inner) = t.strip_prefix(open).and_then(|s| s.strip_suffix(close)) else {
            return Err(format!("`{text}` does not end with `{close}`"));
        };
        let indices = plane_indices(inner).ok_or_else(|| {
            format!("`{text}`: the indices must be integers, e.g. `{{111}}` or `{{1 -1 0}}`")
        })?;
        let hkl = match indices[..] {
            [h, k, l] => [h, k, l],
            [h, k, i, l] => {
                if i != -(h + k) {
                    return Err(format!(
                        "`{text}`: four-index (hkil) needs i = −(h + k) = {}",
                        -(h + k)
                    ));
                }
                [h, k, l]
            }
            _ => {
                return Err(format!(
                    "`{text}`: a plane has three indices (hkl) or four (hkil)"
                ));
            }
        };
        if hkl.iter().all(|&x| x == 0) {
            return Err(format!("`{text}`: the indices are all zero"));
        }
        let a = Matrix3::from_fn(|r, c| cell[r][c]);
        let Some(a_inv) = a.try_inverse().filter(|_| a.determinant().abs() > 1e-9) else {
            return Err("the domain's cell is degenerate".into());
        };
        #[allow(clippy::cast_precision_loss)]
        let n = a_inv * Vector3::new(hkl[0] as f64, hkl[1] as f64, hkl[2] as f64);
        let n = n.normalize();
        let rotations = if all {
            lattice_rotations(&a)
        } else {
            vec![Matrix3::identity()]
        };
        let mut normals: Vec<[f64; 3]> = Vec::new();
        for r in &rotations {
            let m = r * n;
            let m = [m.x, m.y, m.z];
            if !normals.iter().any(|o| distance2(o, &m) < 1e-12) {
                normals.push(m);
            }
        }
        Ok(Self {
            label: t.to_string(),
            normals,
        })
    }
}

/// Integer indices written `111`, `10-10`, `1 -1 0` or `1,-1,0`.
fn plane_indices(inner: &str) -> Option<Vec<i64>> {
    let inner = inner.trim();
    if inner.contains([' ', ',']) {
        return inner
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().ok())
            .collect();
    }
    let mut out = Vec::new();
    let mut negative = false;
    for c in inner.chars() {
        if c == '-' {
            if negative {
                return None;
            }
            negative = true;
        } else {
            let d = i64::from(c.to_digit(10)?);
            out.push(if negative { -d } else { d });
            negative = false;
        }
    }
    (!negative).then_some(out)
}

/// The proper and improper rotations `R` (box frame) that map the lattice of the cell rows
/// `a` onto itself: `R aᵢ = Σⱼ Mᵢⱼ aⱼ` with `M` an integer matrix of entries −1, 0, 1 and
/// `R` orthogonal. This finds the holohedry of the usual cells (cubic, hexagonal,
/// tetragonal, orthorhombic, monoclinic, triclinic).
fn lattice_rotations(a: &Matrix3<f64>) -> Vec<Matrix3<f64>> {
    // Rows of `a` are the cell vectors; with columns aᵢ, R Aᵀ = Aᵀ Mᵀ.
    let at = a.transpose();
    let Some(at_inv) = at.try_inverse() else {
        return vec![Matrix3::identity()];
    };
    let mut out = Vec::new();
    for code in 0..3_i32.pow(9) {
        let mut c = code;
        let m = Matrix3::from_fn(|_, _| {
            let v = f64::from(c % 3 - 1);
            c /= 3;
            v
        });
        let det = m.determinant();
        if (det.abs() - 1.0).abs() > 1e-9 {
            continue;
        }
        let r = at * m.transpose() * at_inv;
        if (r * r.transpose() - Matrix3::identity()).norm() < 1e-6 {
            out.push(r);
        }
    }
    out
}

fn distance2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (0..3).map(|k| (a[k] - b[k]).powi(2)).sum()
}

impl Facets {
    /// Appends `surface_atoms`, `unassigned_atoms` and, per family, `area:<label>` [Å²],
    /// `atoms:<label>` and `patches:<label>` (patches of non-zero area).
    pub fn measure(&self, frame: &Frame, name: &str, out: &mut Vec<Measurement>) {
        let normals: Vec<(usize, [f64; 3])> = self
            .families
            .iter()
            .enumerate()
            .flat_map(|(f, fam)| fam.normals.iter().map(move |n| (f, *n)))
            .collect();
        let (assigned, surface, unassigned) = self.assign(frame, &normals);
        let (area, atoms, patches) = self.patches(frame, &assigned, &normals);
        #[allow(clippy::cast_precision_loss)]
        {
            out.push(Measurement::scalar(
                name,
                "surface_atoms",
                "atoms",
                surface as f64,
            ));
            out.push(Measurement::scalar(
                name,
                "unassigned_atoms",
                "atoms",
                unassigned as f64,
            ));
            for (f, fam) in self.families.iter().enumerate() {
                let l = &fam.label;
                out.push(Measurement::scalar(
                    name,
                    &format!("area:{l}"),
                    "angstrom^2",
                    area[f],
                ));
                out.push(Measurement::scalar(
                    name,
                    &format!("atoms:{l}"),
                    "atoms",
                    atoms[f] as f64,
                ));
                out.push(Measurement::scalar(
                    name,
                    &format!("patches:{l}"),
                    "1",
                    patches[f] as f64,
                ));
            }
        }
    }

    /// The facet normal (index into `normals`) of every site (`usize::MAX`: none), the
    /// number of surface atoms and of those in no family.
    fn assign(&self, frame: &Frame, normals: &[(usize, [f64; 3])]) -> (Vec<usize>, u64, u64) {
        let graph = frame.graph;
        let positions = graph.positions();
        let region = self.region.resolve(|| frame.atom_centroid());
        let everywhere = self.region.is_everything();
        #[allow(clippy::cast_possible_truncation)]
        let selected = |i: usize| {
            let s = frame.species[i];
            !s.is_vacancy()
                && self.species.is_none_or(|set| set.contains(s))
                && (everywhere || region.contains(graph, SiteId(i as u32)))
        };
        let image = MinImage::new(graph.simulation_box());
        let cos_min = self.max_angle.cos();
        // Facet normal index per site (usize::MAX: not a facet atom).
        let mut assigned = vec![usize::MAX; frame.species.len()];
        let mut surface = 0u64;
        let mut unassigned = 0u64;
        for i in 0..frame.species.len() {
            if !selected(i) {
                continue;
            }
            let mut v = [0.0; 3];
            let mut open = false;
            #[allow(clippy::cast_possible_truncation)]
            for m in graph.neighbors(SiteId(i as u32), self.shell) {
                if frame.species[m.index()].is_vacancy() {
                    open = true;
                    let d = image.apply(sub(positions[m.index()], positions[i]));
                    for k in 0..3 {
                        v[k] += d[k];
                    }
                }
            }
            if !open {
                continue;
            }
            surface += 1;
            let len = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            let best = (len > 1e-9)
                .then(|| {
                    normals
                        .iter()
                        .enumerate()
                        .map(|(j, (_, n))| (j, (n[0] * v[0] + n[1] * v[1] + n[2] * v[2]) / len))
                        .filter(|&(_, c)| c >= cos_min)
                        .fold(None::<(usize, f64)>, |acc, (j, c)| match acc {
                            Some((_, b)) if b >= c - 1e-12 => acc,
                            _ => Some((j, c)),
                        })
                })
                .flatten();
            match best {
                Some((j, _)) => assigned[i] = j,
                None => unassigned += 1,
            }
        }
        (assigned, surface, unassigned)
    }

    /// Per family: the summed hull area [Å²] of its patches, its atoms, its patches of
    /// non-zero area.
    fn patches(
        &self,
        frame: &Frame,
        assigned: &[usize],
        normals: &[(usize, [f64; 3])],
    ) -> (Vec<f64>, Vec<u64>, Vec<u64>) {
        let graph = frame.graph;
        let positions = graph.positions();
        let image = MinImage::new(graph.simulation_box());
        let mut area = vec![0.0; self.families.len()];
        let mut atoms = vec![0u64; self.families.len()];
        let mut patches = vec![0u64; self.families.len()];
        let mut seen = vec![false; frame.species.len()];
        let mut queue = VecDeque::new();
        let mut patch: Vec<[f64; 3]> = Vec::new();
        for start in 0..frame.species.len() {
            let j = assigned[start];
            if j == usize::MAX || seen[start] {
                continue;
            }
            let (family, normal) = normals[j];
            patch.clear();
            seen[start] = true;
            // Positions unwrapped from the patch's first atom (periodic boxes).
            queue.push_back((start, positions[start]));
            while let Some((i, at)) = queue.pop_front() {
                patch.push(at);
                #[allow(clippy::cast_possible_truncation)]
                for m in graph.neighbors(SiteId(i as u32), self.shell) {
                    for k in std::iter::once(m)
                        .chain(graph.neighbors(m, self.shell))
                        .map(SiteId::index)
                    {
                        if assigned[k] == j && !seen[k] {
                            seen[k] = true;
                            let d = image.apply(sub(positions[k], positions[i]));
                            queue.push_back((k, [at[0] + d[0], at[1] + d[1], at[2] + d[2]]));
                        }
                    }
                }
            }
            atoms[family] += patch.len() as u64;
            let a = projected_hull_area(&patch, normal);
            if a > 1e-9 {
                area[family] += a;
                patches[family] += 1;
            }
        }
        (area, atoms, patches)
    }
}

/// Area [Å²] of the convex hull of `points` projected on the plane with unit normal `n`
/// (Andrew's monotone chain on the in-plane coordinates).
fn projected_hull_area(points: &[[f64; 3]], n: [f64; 3]) -> f64 {
    if points.len() < 3 {
        return 0.0;
    }
    let n = Vector3::from(n);
    let helper = if n.x.abs() < 0.9 {
        Vector3::x()
    } else {
        Vector3::y()
    };
    let u = n.cross(&helper).normalize();
    let v = n.cross(&u);
    let mut p: Vec<(f64, f64)> = points
        .iter()
        .map(|q| {
            let q = Vector3::from(*q);
            (q.dot(&u), q.dot(&v))
        })
        .collect();
    p.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let cross = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut hull: Vec<(f64, f64)> = Vec::with_capacity(p.len() + 1);
    for pass in 0..2 {
        let base = hull.len();
        let iter: Box<dyn Iterator<Item = &(f64, f64)>> = if pass == 0 {
            Box::new(p.iter())
        } else {
            Box::new(p.iter().rev())
        };
        for &q in iter {
            while hull.len() >= base + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], q) <= 1e-9
            {
                hull.pop();
            }
            hull.push(q);
        }
        hull.pop();
    }
    let mut twice = 0.0;
    for k in 0..hull.len() {
        let (a, b) = (hull[k], hull[(k + 1) % hull.len()]);
        twice += a.0 * b.1 - b.0 * a.1;
    }
    (twice / 2.0).abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUBIC: [[f64; 3]; 3] = [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]];

    fn hexagonal() -> [[f64; 3]; 3] {
        let a = 4.3;
        [
            [a, 0.0, 0.0],
            [-a / 2.0, a * 3f64.sqrt() / 2.0, 0.0],
            [0.0, 0.0, 7.0],
        ]
    }

    #[test]
    fn family_cubic_111_has_eight_normals_and_100_six() {
        assert_eq!(Family::parse("{111}", &CUBIC).unwrap().normals.len(), 8);
        assert_eq!(Family::parse("{100}", &CUBIC).unwrap().normals.len(), 6);
        assert_eq!(Family::parse("{110}", &CUBIC).unwrap().normals.len(), 12);
        assert_eq!(Family::parse("(111)", &CUBIC).unwrap().normals.len(), 1);
    }

    #[test]
    fn family_hexagonal_prism_has_six_normals_and_basal_two() {
        let c = hexagonal();
        let prism = Family::parse("{10-10}", &c).unwrap();
        assert_eq!(prism.normals.len(), 6);
        for n in &prism.normals {
            assert!(
                n[2].abs() < 1e-9,
                "prism normals lie in the basal plane: {n:?}"
            );
        }
        let basal = Family::parse("{0001}", &c).unwrap();
        assert_eq!(basal.normals.len(), 2);
        let top = Family::parse("(000-1)", &c).unwrap();
        assert!((top.normals[0][2] + 1.0).abs() < 1e-12);
        assert_eq!(Family::parse("{1 0 0}", &c).unwrap().normals.len(), 6);
    }

    #[test]
    fn family_rejects_bad_text() {
        for bad in [
            "111",
            "{11}",
            "{1-1-1-1}",
            "{10-11",
            "{1120}",
            "{000}",
            "{1a1}",
        ] {
            assert!(
                Family::parse(bad, &CUBIC).is_err(),
                "{bad} must be rejected"
            );
        }
    }

    #[test]
    fn hull_area_of_square_net_is_side_squared() {
        let mut pts = Vec::new();
        for i in 0..5 {
            for j in 0..4 {
                pts.push([f64::from(i) * 2.0, f64::from(j) * 2.0, 3.0]);
            }
        }
        let a = projected_hull_area(&pts, [0.0, 0.0, 1.0]);
        assert!((a - 8.0 * 6.0).abs() < 1e-9, "{a}");
        assert!(projected_hull_area(&pts[..4], [0.0, 0.0, 1.0]).abs() < 1e-9);
    }
}
