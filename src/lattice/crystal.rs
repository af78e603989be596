//! Crystals: a cell (three lattice vectors [Å]) and a basis of named sites.
//!
//! A [`Crystal`] is a value type with no occupancy: it says where sites are, and which
//! *role* (sublattice) each basis site plays, e.g. `"anion"`, `"cation"`, `"tet_empty"`,
//! `"oct"`. Kinds ([`crate::sites::KindId`]) are attached to roles later, when a domain is
//! placed ([`crate::lattice::assembly`]), because kinds come from the potential file.
//!
//! Lattice constants are always arguments (they come from the potential file); nothing here
//! carries a default value. Every constructor validates its arguments and returns
//! [`crate::Error::Build`] for non-positive or non-finite values.
//!
//! # Conventions
//! - Cubic cells: `a`, `b`, `c` along x, y, z.
//! - Hexagonal cells: `a = (a, 0, 0)`, `b = (−a/2, a√3/2, 0)`, `c = (0, 0, c)`.
//! - Orthorhombic cells: `a`, `b`, `c` along x, y, z.
//! - Fractional coordinates are wrapped into `[0, 1)`.
//!
//! # Extending
//! Add a constructor that lists the representative (Wyckoff) positions with their roles and
//! expands them with the space-group operations through [`expand_wyckoff`] (operations are
//! written as in the International Tables, e.g. `"-x+1/2,y+1/2,z+1/2"`). Add a coordination
//! test in `crate::sites::neighbors`.
//!
//! # References
//! - Cu₃P: AFLOW prototype A3B_hP24_185_ab2c_c (ICSD 15056), <https://aflow.org/p/L8U5>;
//!   fractional coordinates from the Materials Project entry mp-7463 (P6₃cm, DFT-relaxed,
//!   a = 6.896 Å, c = 7.139 Å).
//! - Cs₂ZnX₄ (β-K₂SO₄ type, Pnma): template coordinates of Rb₂ZnBr₄ at 293 K
//!   [Hogervorst & Helmholdt, Acta Cryst. B44, 120 (1988)], converted to Pnma, as given in
//!   `physics.md` §10.
//! - Wurtzite CdSe and the interstitial sublattices: `physics.md` §1 and §1.1.

use crate::error::{Error, Result};

/// One site of the basis of a [`Crystal`].
#[derive(Debug, Clone, PartialEq)]
pub struct BasisSite {
    /// Name of the sublattice the site belongs to, e.g. `"anion"`.
    pub role: String,
    /// Fractional coordinates in the cell, in `[0, 1)`.
    pub frac: [f64; 3],
}

/// A crystal: cell vectors and a basis of named sites.
#[derive(Debug, Clone, PartialEq)]
pub struct Crystal {
    /// Name of the structure, e.g. `"wurtzite"`.
    pub name: String,
    /// Cell vectors as rows `a`, `b`, `c` [Å]. The cell is right-handed (positive volume).
    pub cell: [[f64; 3]; 3],
    /// Basis sites, in a fixed order (the index is the site's basis index).
    pub basis: Vec<BasisSite>,
}

/// Tolerance on fractional coordinates when merging symmetry-equivalent positions.
const FRAC_TOLERANCE: f64 = 1e-6;

fn check_length(context: &str, name: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::build(
            context,
            format!("{name} must be positive and finite, got {value}"),
        ))
    }
}

/// Wraps a fractional coordinate into `[0, 1)`.
fn wrap_unit(x: f64) -> f64 {
    let w = x - x.floor();
    if w >= 1.0 { 0.0 } else { w }
}

fn hexagonal_cell(a: f64, c: f64) -> [[f64; 3]; 3] {
    [
        [a, 0.0, 0.0],
        [-0.5 * a, 0.5 * 3f64.sqrt() * a, 0.0],
        [0.0, 0.0, c],
    ]
}

fn cubic_cell(a: f64) -> [[f64; 3]; 3] {
    [[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, a]]
}

/// A symmetry operation `x' = R x + t` on fractional coordinates.
struct SymmetryOperation {
    rotation: [[f64; 3]; 3],
    translation: [f64; 3],
}

impl SymmetryOperation {
    /// Parses an operation written as in the International Tables, e.g. `"-x+y,-x,z+1/2"`.
    fn parse(text: &str) -> Result<Self> {
        let fail = || Error::build("symmetry operation", format!("cannot parse `{text}`"));
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() != 3 {
            return Err(fail());
        }
        let mut rotation = [[0.0; 3]; 3];
        let mut translation = [0.0; 3];
        for (row, part) in parts.iter().enumerate() {
            // Split the component into signed terms: `x`, `-y`, `+1/2`.
            let mut sign = 1.0;
            let mut chars = part.trim().chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '+' => sign = 1.0,
                    '-' => sign = -1.0,
                    'x' | 'y' | 'z' => {
                        let col = match c {
                            'x' => 0,
                            'y' => 1,
                            _ => 2,
                        };
                        rotation[row][col] += sign;
                        sign = 1.0;
                    }
                    '0'..='9' => {
                        let mut number = String::from(c);
                        while let Some(&d) = chars.peek() {
                            if d.is_ascii_digit() || d == '/' {
                                number.push(d);
                                chars.next();
                            } else {
                                break;
                            }
                        }
                        let value = match number.split_once('/') {
                            Some((n, d)) => {
                                let n: f64 = n.parse().map_err(|_| fail())?;
                                let d: f64 = d.parse().map_err(|_| fail())?;
                                n / d
                            }
                            None => number.parse().map_err(|_| fail())?,
                        };
                        translation[row] += sign * value;
                        sign = 1.0;
                    }
                    ' ' => {}
                    _ => return Err(fail()),
                }
            }
        }
        Ok(Self {
            rotation,
            translation,
        })
    }

    fn apply(&self, p: [f64; 3]) -> [f64; 3] {
        let mut out = [0.0; 3];
        for (i, o) in out.iter_mut().enumerate() {
            *o = wrap_unit(
                self.rotation[i][0] * p[0]
                    + self.rotation[i][1] * p[1]
                    + self.rotation[i][2] * p[2]
                    + self.translation[i],
            );
        }
        out
    }
}

fn same_fractional(p: [f64; 3], q: [f64; 3]) -> bool {
    (0..3).all(|i| {
        let d = p[i] - q[i];
        (d - d.round()).abs() < FRAC_TOLERANCE
    })
}

/// Expands representative positions `(role, frac)` into full orbits under the operations
/// `ops` (International Tables notation), merging duplicates. Orbits are listed in the order
/// of the representatives, each in the order of the operations.
///
/// # Errors
/// If an operation cannot be parsed.
pub fn expand_wyckoff(
    representatives: &[(&str, [f64; 3])],
    ops: &[&str],
) -> Result<Vec<BasisSite>> {
    let ops: Vec<SymmetryOperation> = ops
        .iter()
        .map(|op| SymmetryOperation::parse(op))
        .collect::<Result<_>>()?;
    let mut basis: Vec<BasisSite> = Vec::new();
    for &(role, frac) in representatives {
        for op in &ops {
            let p = op.apply(frac);
            if !basis.iter().any(|b| same_fractional(b.frac, p)) {
                basis.push(BasisSite {
                    role: role.to_string(),
                    frac: p,
                });
            }
        }
    }
    Ok(basis)
}

/// Operations of P6₃cm (No. 185).
const P63CM: [&str; 12] = [
    "x,y,z",
    "-y,x-y,z",
    "-x+y,-x,z",
    "-x,-y,z+1/2",
    "y,-x+y,z+1/2",
    "x-y,x,z+1/2",
    "-y,-x,z+1/2",
    "-x+y,y,z+1/2",
    "x,x-y,z+1/2",
    "y,x,z",
    "x-y,-y,z",
    "-x,-x+y,z",
];

/// Operations of Pnma (No. 62), standard setting.
const PNMA: [&str; 8] = [
    "x,y,z",
    "-x+1/2,-y,z+1/2",
    "-x,y+1/2,-z",
    "x+1/2,-y+1/2,-z+1/2",
    "-x,-y,-z",
    "x+1/2,y,-z+1/2",
    "x,-y+1/2,z",
    "-x+1/2,y+1/2,z+1/2",
];

/// Face-centring translations.
const FCC_TRANSLATIONS: [[f64; 3]; 4] = [
    [0.0, 0.0, 0.0],
    [0.0, 0.5, 0.5],
    [0.5, 0.0, 0.5],
    [0.5, 0.5, 0.0],
];

fn fcc_set(role: &str, shift: [f64; 3]) -> impl Iterator<Item = BasisSite> + '_ {
    FCC_TRANSLATIONS.iter().map(move |t| BasisSite {
        role: role.to_string(),
        frac: [
            wrap_unit(t[0] + shift[0]),
            wrap_unit(t[1] + shift[1]),
            wrap_unit(t[2] + shift[2]),
        ],
    })
}

fn site(role: &str, frac: [f64; 3]) -> BasisSite {
    BasisSite {
        role: role.to_string(),
        frac,
    }
}

impl Crystal {
    /// A crystal from an explicit cell (rows `a`, `b`, `c` [Å]) and basis. Fractional
    /// coordinates are wrapped into `[0, 1)`.
    ///
    /// # Errors
    /// If a number is not finite, the cell is degenerate or left-handed (volume ≤ 0), the
    /// basis is empty or has more than 65535 sites, or two basis sites coincide.
    pub fn general(
        name: impl Into<String>,
        cell: [[f64; 3]; 3],
        basis: Vec<BasisSite>,
    ) -> Result<Self> {
        let name = name.into();
        let context = format!("crystal `{name}`");
        if cell.iter().flatten().any(|x| !x.is_finite()) {
            return Err(Error::build(&context, "cell vectors must be finite"));
        }
        let volume = determinant(cell);
        let scale = cell
            .iter()
            .map(|v| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt())
            .product::<f64>();
        if volume.is_nan() || volume <= 1e-9 * scale || scale == 0.0 {
            return Err(Error::build(
                &context,
                "cell vectors must be linearly independent and right-handed",
            ));
        }
        if basis.is_empty() || basis.len() > usize::from(u16::MAX) {
            return Err(Error::build(
                &context,
                "the basis must have between 1 and 65535 sites",
            ));
        }
        let mut wrapped: Vec<BasisSite> = Vec::with_capacity(basis.len());
        for b in basis {
            if b.frac.iter().any(|x| !x.is_finite()) {
                return Err(Error::build(
                    &context,
                    format!("basis site `{}` has non-finite coordinates", b.role),
                ));
            }
            let frac = [
                wrap_unit(b.frac[0]),
                wrap_unit(b.frac[1]),
                wrap_unit(b.frac[2]),
            ];
            if wrapped.iter().any(|w| same_fractional(w.frac, frac)) {
                return Err(Error::build(
                    &context,
                    format!("basis site `{}` at {frac:?} coincides with another", b.role),
                ));
            }
            wrapped.push(BasisSite { role: b.role, frac });
        }
        Ok(Self {
            name,
            cell,
            basis: wrapped,
        })
    }

    /// Face-centred cubic, conventional cell of edge `a` [Å]: 4 sites of role `"site"`.
    ///
    /// # Errors
    /// If `a` is not positive and finite.
    pub fn fcc(a: f64) -> Result<Self> {
        check_length("fcc", "a", a)?;
        Self::general("fcc", cubic_cell(a), fcc_set("site", [0.0; 3]).collect())
    }

    /// Body-centred cubic, conventional cell of edge `a` [Å]: 2 sites of role `"site"`.
    ///
    /// # Errors
    /// If `a` is not positive and finite.
    pub fn bcc(a: f64) -> Result<Self> {
        check_length("bcc", "a", a)?;
        Self::general(
            "bcc",
            cubic_cell(a),
            vec![site("site", [0.0; 3]), site("site", [0.5; 3])],
        )
    }

    /// Simple cubic of edge `a` [Å]: 1 site of role `"site"`.
    ///
    /// # Errors
    /// If `a` is not positive and finite.
    pub fn simple_cubic(a: f64) -> Result<Self> {
        check_length("simple cubic", "a", a)?;
        Self::general("simple_cubic", cubic_cell(a), vec![site("site", [0.0; 3])])
    }

    /// Hexagonal close-packed, hexagonal cell `a`, `c` [Å]: 2 sites of role `"site"` at
    /// (1/3, 2/3, 1/4) and (2/3, 1/3, 3/4).
    ///
    /// # Errors
    /// If `a` or `c` is not positive and finite.
    pub fn hcp(a: f64, c: f64) -> Result<Self> {
        check_length("hcp", "a", a)?;
        check_length("hcp", "c", c)?;
        Self::general(
            "hcp",
            hexagonal_cell(a, c),
            vec![
                site("site", [1.0 / 3.0, 2.0 / 3.0, 0.25]),
                site("site", [2.0 / 3.0, 1.0 / 3.0, 0.75]),
            ],
        )
    }

    /// Wurtzite (P6₃mc, e.g. CdSe) with cell `a`, `c` [Å] and internal parameter `u`, plus its
    /// empty interstitial sublattices (`physics.md` §1.1). 8 sites per cell:
    ///
    /// | role | sites (fractional) | environment |
    /// |---|---|---|
    /// | `"anion"` (Se, hcp) | (1/3, 2/3, u), (2/3, 1/3, 1/2+u) | |
    /// | `"cation"` (Cd, T⁺) | (1/3, 2/3, 0), (2/3, 1/3, 1/2) | 4 anions, apex anion above (+c) |
    /// | `"tet_empty"` (T⁻) | (1/3, 2/3, 2u), (2/3, 1/3, 2u−1/2) | 4 anions, apex anion below (−c) |
    /// | `"oct"` (O) | (0, 0, u+1/4), (0, 0, u+3/4) | 6 anions |
    ///
    /// A T⁻ hole is the mirror image of a T⁺ hole: it sits `uc` above the anion of its own
    /// column, so its four anion distances equal the cation–anion ones. It shares a face with
    /// the T⁺ hole of the same anion double layer, at distance (1 − 2u)·c (c/4 for u = 3/8).
    /// The O holes lie on the third column (0, 0), midway between two anion layers.
    ///
    /// # Errors
    /// If `a` or `c` is not positive and finite, or `u` is not in (0, 1/2).
    pub fn wurtzite(a: f64, c: f64, u: f64) -> Result<Self> {
        check_length("wurtzite", "a", a)?;
        check_length("wurtzite", "c", c)?;
        if !(u.is_finite() && u > 0.0 && u < 0.5) {
            return Err(Error::build(
                "wurtzite",
                format!("u must be in (0, 1/2), got {u}"),
            ));
        }
        let third = 1.0 / 3.0;
        let two_thirds = 2.0 / 3.0;
        Self::general(
            "wurtzite",
            hexagonal_cell(a, c),
            vec![
                site("anion", [third, two_thirds, u]),
                site("anion", [two_thirds, third, 0.5 + u]),
                site("cation", [third, two_thirds, 0.0]),
                site("cation", [two_thirds, third, 0.5]),
                site("tet_empty", [third, two_thirds, 2.0 * u]),
                site("tet_empty", [two_thirds, third, 2.0 * u - 0.5]),
                site("oct", [0.0, 0.0, u + 0.25]),
                site("oct", [0.0, 0.0, u + 0.75]),
            ],
        )
    }

    /// Zinc blende (F-43m, e.g. cubic CdSe), conventional cubic cell `a` [Å], 16 sites:
    /// `"anion"` fcc at (0,0,0), `"cation"` on the T set (1/4,1/4,1/4), `"tet_empty"` on the
    /// other T set (3/4,3/4,3/4), `"oct"` on the O holes (1/2,1/2,1/2), each plus the fcc
    /// translations.
    ///
    /// # Errors
    /// If `a` is not positive and finite.
    pub fn zinc_blende(a: f64) -> Result<Self> {
        check_length("zinc blende", "a", a)?;
        let basis = fcc_set("anion", [0.0; 3])
            .chain(fcc_set("cation", [0.25; 3]))
            .chain(fcc_set("tet_empty", [0.75; 3]))
            .chain(fcc_set("oct", [0.5; 3]))
            .collect();
        Self::general("zinc_blende", cubic_cell(a), basis)
    }

    /// Antifluorite (Fm-3m, α-Cu₂Se), conventional cubic cell `a` [Å], 16 sites: `"anion"`
    /// fcc (4a), all 8 tetrahedral sites `"tet"` (8c) and the octahedral sites `"oct"` (4b).
    ///
    /// # Errors
    /// If `a` is not positive and finite.
    pub fn antifluorite(a: f64) -> Result<Self> {
        check_length("antifluorite", "a", a)?;
        let basis = fcc_set("anion", [0.0; 3])
            .chain(fcc_set("tet", [0.25; 3]))
            .chain(fcc_set("tet", [0.75; 3]))
            .chain(fcc_set("oct", [0.5; 3]))
            .collect();
        Self::general("antifluorite", cubic_cell(a), basis)
    }

    /// Cu₃P (P6₃cm, No. 185, hP24), hexagonal cell `a`, `c` [Å]: 18 Cu on 2a, 4b, 6c, 6c
    /// (roles `"cu_2a"`, `"cu_4b"`, `"cu_6c1"`, `"cu_6c2"`) and 6 P on 6c (`"p"`), plus the
    /// optional interstitial role `"int_tet"` (12d, 12 sites, see [`optional_roles`]).
    ///
    /// `int_tet` at (0.5596, 0.2424, 0.9375) is the largest empty hole of the structure:
    /// the centre of the largest empty sphere, found by a grid search over the cell
    /// (0.2 Å mesh) refined by pattern search, at a = 6.959 Å, c = 7.143 Å. It is a Cu₄
    /// tetrahedron (4 Cu at 1.92 Å) with one Cu and one P at 2.11 Å; it is the Cu
    /// interstitial / Frenkel-pair site of the lattice.
    ///
    /// Representative positions (AFLOW prototype A3B_hP24_185_ab2c_c, coordinates of the
    /// Materials Project entry mp-7463): Cu 2a (0, 0, 0.32765), Cu 4b (1/3, 2/3, 0.18753),
    /// Cu 6c (0.38367, 0, 0.42811), Cu 6c (0.27316, 0, 0.07767), P 6c (0.33100, 0, 0.75139),
    /// expanded with the 12 operations of P6₃cm.
    ///
    /// # Errors
    /// If `a` or `c` is not positive and finite.
    pub fn cu3p(a: f64, c: f64) -> Result<Self> {
        check_length("cu3p", "a", a)?;
        check_length("cu3p", "c", c)?;
        let basis = expand_wyckoff(
            &[
                ("cu_2a", [0.0, 0.0, 0.327_646_97]),
                ("cu_4b", [1.0 / 3.0, 2.0 / 3.0, 0.187_528_94]),
                ("cu_6c1", [0.383_672_10, 0.0, 0.428_105_15]),
                ("cu_6c2", [0.273_164_72, 0.0, 0.077_670_96]),
                ("p", [0.330_998_32, 0.0, 0.751_389_27]),
                ("int_tet", [0.5596, 0.2424, 0.9375]),
            ],
            &P63CM,
        )?;
        Self::general("cu3p", hexagonal_cell(a, c), basis)
    }

    /// β-K₂SO₄-type A₂BX₄ (Pnma, No. 62; e.g. Cs₂ZnCl₄), orthorhombic cell `a`, `b`, `c` [Å]
    /// (b is the mirror axis), 4 formula units, 28 sites: `"a1"`, `"a2"` (Cs, 4c each),
    /// `"b"` (Zn, 4c), `"x1"`, `"x2"` (4c), `"x3"` (8d). Template coordinates of Rb₂ZnBr₄
    /// (`physics.md` §10), expanded with the 8 operations of Pnma. Optional interstitial
    /// roles (see [`optional_roles`]): `"int_oct"` (4b, (0, 0, 1/2), an inversion centre
    /// with 2 A and 4 X around it, 6-fold) and `"int_8d"` ((0.4211, 0.0707, 0.7368), the
    /// largest empty hole, 4-fold: A1, A2, X1, X3). Both are centres of the largest empty
    /// spheres of the template found by a grid search (0.25 Å mesh) with pattern-search
    /// refinement at a = 9.76, b = 7.41, c = 12.97 Å (clearances 2.56 and 2.58 Å); they
    /// are the halide (H-centre) and cation interstitial sites of bulk Frenkel pairs.
    ///
    /// # Errors
    /// If a lattice constant is not positive and finite.
    pub fn pnma_a2bx4(a: f64, b: f64, c: f64) -> Result<Self> {
        check_length("pnma_a2bx4", "a", a)?;
        check_length("pnma_a2bx4", "b", b)?;
        check_length("pnma_a2bx4", "c", c)?;
        let basis = expand_wyckoff(
            &[
                ("a1", [0.5153, 0.25, 0.3234]),
                ("a2", [0.8730, 0.25, 0.5968]),
                ("b", [0.2746, 0.25, 0.5777]),
                ("x1", [0.5184, 0.25, 0.5831]),
                ("x2", [0.1802, 0.25, 0.4126]),
                ("x3", [0.1839, 0.5012, 0.6593]),
                ("int_oct", [0.0, 0.0, 0.5]),
                ("int_8d", [0.4211, 0.0707, 0.7368]),
            ],
            &PNMA,
        )?;
        Self::general(
            "pnma_a2bx4",
            [[a, 0.0, 0.0], [0.0, b, 0.0], [0.0, 0.0, c]],
            basis,
        )
    }

    /// The same crystal without the basis sites whose role is in `roles` (basis order kept).
    #[must_use]
    pub fn without_roles(&self, roles: &[String]) -> Self {
        Self {
            name: self.name.clone(),
            cell: self.cell,
            basis: self
                .basis
                .iter()
                .filter(|b| !roles.contains(&b.role))
                .cloned()
                .collect(),
        }
    }

    /// Distinct roles, in the order of their first appearance in the basis.
    pub fn roles(&self) -> Vec<&str> {
        let mut roles: Vec<&str> = Vec::new();
        for b in &self.basis {
            if !roles.contains(&b.role.as_str()) {
                roles.push(&b.role);
            }
        }
        roles
    }

    /// Cartesian position [Å] of fractional coordinates `frac` (relative to the cell origin).
    pub fn cartesian(&self, frac: [f64; 3]) -> [f64; 3] {
        let mut out = [0.0; 3];
        for (k, o) in out.iter_mut().enumerate() {
            *o = frac[0] * self.cell[0][k] + frac[1] * self.cell[1][k] + frac[2] * self.cell[2][k];
        }
        out
    }

    /// Fractional coordinates of a Cartesian position [Å] (inverse of [`Self::cartesian`]).
    pub fn fractional(&self, cartesian: [f64; 3]) -> [f64; 3] {
        let inverse = inverse_transpose(self.cell);
        mat_vec(inverse, cartesian)
    }

    /// Cell volume [Å³].
    pub fn volume(&self) -> f64 {
        determinant(self.cell)
    }

    /// Basis indices whose role is `role`.
    pub fn sites_with_role(&self, role: &str) -> Vec<usize> {
        (0..self.basis.len())
            .filter(|&i| self.basis[i].role == role)
            .collect()
    }
}

/// Roles of the built-in structure `structure` that are interstitial holes, built only
/// when a phase gives them a site kind (so a phase that does not map them builds exactly
/// the sites it built before they existed).
#[must_use]
pub fn optional_roles(structure: &str) -> &'static [&'static str] {
    match structure {
        "cu3p" => &["int_tet"],
        "pnma_a2bx4" => &["int_oct", "int_8d"],
        _ => &[],
    }
}

/// Determinant of a 3×3 matrix.
pub(crate) fn determinant(m: [[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// `(Mᵀ)⁻¹` for a matrix whose rows are the cell vectors: maps Cartesian to fractional.
/// The caller guarantees a non-singular matrix.
pub(crate) fn inverse_transpose(m: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let det = determinant(m);
    // Cofactor matrix divided by det is (M^-1)^T; we need (M^T)^-1 = (M^-1)^T.
    let mut out = [[0.0; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, value) in row.iter_mut().enumerate() {
            let (i1, i2) = ((i + 1) % 3, (i + 2) % 3);
            let (j1, j2) = ((j + 1) % 3, (j + 2) % 3);
            *value = (m[i1][j1] * m[i2][j2] - m[i1][j2] * m[i2][j1]) / det;
        }
    }
    out
}

/// Matrix–vector product.
pub(crate) fn mat_vec(m: [[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    [
        m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
        m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
        m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn distance(c: &Crystal, p: [f64; 3], q: [f64; 3]) -> f64 {
        // Minimum over neighbouring cells.
        let mut best = f64::INFINITY;
        for i in -1..=1 {
            for j in -1..=1 {
                for k in -1..=1 {
                    let d = c.cartesian([
                        q[0] - p[0] + f64::from(i),
                        q[1] - p[1] + f64::from(j),
                        q[2] - p[2] + f64::from(k),
                    ]);
                    best = best.min((d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt());
                }
            }
        }
        best
    }

    /// Distances from basis site `i` to all sites of `role` (one image each), sorted.
    fn distances_to_role(c: &Crystal, i: usize, role: &str) -> Vec<f64> {
        let mut d: Vec<f64> = c
            .sites_with_role(role)
            .into_iter()
            .filter(|&j| j != i)
            .map(|j| distance(c, c.basis[i].frac, c.basis[j].frac))
            .collect();
        d.sort_by(f64::total_cmp);
        d
    }

    #[test]
    fn constructors_invalid_constants_are_rejected() {
        assert!(Crystal::fcc(0.0).is_err());
        assert!(Crystal::fcc(f64::NAN).is_err());
        assert!(Crystal::hcp(3.0, -1.0).is_err());
        assert!(Crystal::wurtzite(4.3, 7.0, 0.7).is_err());
        assert!(Crystal::cu3p(f64::INFINITY, 7.0).is_err());
        assert!(Crystal::pnma_a2bx4(9.76, 0.0, 12.97).is_err());
        assert!(
            Crystal::general(
                "flat",
                [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]],
                vec![site("s", [0.0; 3])]
            )
            .is_err()
        );
    }

    #[test]
    fn wurtzite_cdse_bond_length_is_2_63() {
        let c = Crystal::wurtzite(4.299, 7.01, 0.375).unwrap();
        assert_eq!(c.basis.len(), 8);
        assert_eq!(c.roles(), vec!["anion", "cation", "tet_empty", "oct"]);
        // Cation 2 (first cation) to the nearest anions.
        let d = distances_to_role(&c, 2, "anion");
        assert_relative_eq!(d[0], 2.629, epsilon = 0.01);
    }

    #[test]
    fn cu3p_cell_has_18_cu_6_p_and_no_short_contacts() {
        let c = Crystal::cu3p(6.959, 7.143).unwrap();
        assert_eq!(c.sites_with_role("int_tet").len(), 12);
        let c = c.without_roles(&["int_tet".to_string()]);
        let cu = c.basis.iter().filter(|b| b.role.starts_with("cu")).count();
        let p = c.sites_with_role("p").len();
        assert_eq!((cu, p), (18, 6));
        assert_eq!(c.sites_with_role("cu_2a").len(), 2);
        assert_eq!(c.sites_with_role("cu_4b").len(), 4);
        assert_eq!(c.sites_with_role("cu_6c1").len(), 6);
        assert_eq!(c.sites_with_role("cu_6c2").len(), 6);
        let mut min = f64::INFINITY;
        for i in 0..c.basis.len() {
            for j in 0..i {
                min = min.min(distance(&c, c.basis[i].frac, c.basis[j].frac));
            }
        }
        assert!(min > 2.2, "shortest distance {min}");
    }

    #[test]
    fn pnma_a2bx4_zn_has_four_halides_at_2_3_to_2_4() {
        let c = Crystal::pnma_a2bx4(9.76, 7.41, 12.97).unwrap();
        assert_eq!(c.sites_with_role("int_oct").len(), 4);
        assert_eq!(c.sites_with_role("int_8d").len(), 8);
        let c = c.without_roles(&["int_oct".to_string(), "int_8d".to_string()]);
        assert_eq!(c.basis.len(), 28);
        for role in ["a1", "a2", "b", "x1", "x2"] {
            assert_eq!(c.sites_with_role(role).len(), 4, "{role}");
        }
        assert_eq!(c.sites_with_role("x3").len(), 8);
        for zn in c.sites_with_role("b") {
            let mut d: Vec<f64> = c
                .basis
                .iter()
                .filter(|b| b.role.starts_with('x'))
                .map(|b| distance(&c, c.basis[zn].frac, b.frac))
                .collect();
            d.sort_by(f64::total_cmp);
            assert!(d[..4].iter().all(|&x| (2.28..2.42).contains(&x)), "{d:?}");
            assert!(d[4] > 3.0);
        }
    }

    /// Distances from the first site of `role` to every other site of the cell (one
    /// image each), sorted.
    fn environment(c: &Crystal, role: &str) -> Vec<f64> {
        let i = c.sites_with_role(role)[0];
        let mut d: Vec<f64> = (0..c.basis.len())
            .filter(|&j| j != i)
            .map(|j| distance(c, c.basis[i].frac, c.basis[j].frac))
            .collect();
        d.sort_by(f64::total_cmp);
        d
    }

    /// Interstitial roles have the coordination stated in the builders' docs (distances to
    /// the atoms only; tolerance 0.02 Å on the stated distances).
    #[test]
    fn interstitial_roles_have_expected_coordination() {
        let c = Crystal::cu3p(6.959, 7.143).unwrap();
        let atoms = c.without_roles(&[]).basis.len();
        assert_eq!(atoms, 36);
        let holes = ["int_tet".to_string()];
        let mut only_atoms = c.without_roles(&holes);
        only_atoms
            .basis
            .push(c.basis[c.sites_with_role("int_tet")[0]].clone());
        let d = environment(&only_atoms, "int_tet");
        assert!(d[..4].iter().all(|x| (x - 1.92).abs() < 0.02), "{d:?}");
        assert!(
            (d[4] - 2.11).abs() < 0.02 && (d[5] - 2.11).abs() < 0.02,
            "{d:?}"
        );

        let c = Crystal::pnma_a2bx4(9.76, 7.41, 12.97).unwrap();
        for (role, n, lo, hi) in [("int_oct", 6, 2.54, 2.81), ("int_8d", 4, 2.56, 2.60)] {
            let others: Vec<String> = ["int_oct", "int_8d"]
                .iter()
                .filter(|r| **r != role)
                .map(|r| (*r).to_string())
                .collect();
            let own = c.without_roles(&others);
            let d: Vec<f64> = {
                let i = own.sites_with_role(role)[0];
                let mut d: Vec<f64> = (0..own.basis.len())
                    .filter(|&j| own.basis[j].role != role)
                    .map(|j| distance(&own, own.basis[i].frac, own.basis[j].frac))
                    .collect();
                d.sort_by(f64::total_cmp);
                d
            };
            assert!(d[..n].iter().all(|x| (lo..hi).contains(x)), "{role} {d:?}");
            assert!(d[n] > hi, "{role} {d:?}");
        }
    }

    #[test]
    fn symmetry_operation_parse_reads_fractions() {
        let op = SymmetryOperation::parse("-x+1/2,y+1/2,z").unwrap();
        let p = op.apply([0.1, 0.2, 0.3]);
        assert_relative_eq!(p[0], 0.4, epsilon = 1e-12);
        assert_relative_eq!(p[1], 0.7, epsilon = 1e-12);
        assert!(SymmetryOperation::parse("x,y").is_err());
    }

    #[test]
    fn cartesian_fractional_round_trip() {
        let c = Crystal::wurtzite(4.299, 7.01, 0.375).unwrap();
        let f = [0.3, -0.2, 1.7];
        let back = c.fractional(c.cartesian(f));
        for k in 0..3 {
            assert_relative_eq!(back[k], f[k], epsilon = 1e-12);
        }
    }
}
