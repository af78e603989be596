//! Tests of the beam physics against the tables of physics.md §2.1–2.2.

use super::*;
use crate::constants::SQUARE_ANGSTROM_PER_BARN;

/// (element, Z, A [u]) of the tables' rows (standard atomic weights, IUPAC 2021).
const ELEMENTS: [(&str, f64, f64); 10] = [
    ("C", 6.0, 12.011),
    ("P", 15.0, 30.974),
    ("Cl", 17.0, 35.45),
    ("Cu", 29.0, 63.546),
    ("Zn", 30.0, 65.38),
    ("Se", 34.0, 78.971),
    ("Br", 35.0, 79.904),
    ("Cd", 48.0, 112.41),
    ("Cs", 55.0, 132.905),
    ("Au", 79.0, 196.967),
];

fn element(name: &str) -> (f64, f64) {
    let (_, z, a) = ELEMENTS
        .iter()
        .find(|(n, _, _)| *n == name)
        .expect("element in table");
    (*z, *a)
}

/// True when `computed` is within 2 % of `table`, or within half a unit of the table's
/// last printed digit (`half_unit`) where the table's rounding is coarser than 2 %.
fn close(computed: f64, table: f64, half_unit: f64) -> bool {
    (computed - table).abs() <= (0.02 * table).max(half_unit)
}

/// E_max of physics.md §2.1 (every element, 80/200/300 kV; 30 values): within 2 % or the
/// table's rounding (±0.05 eV).
#[test]
fn beam_max_transfer_matches_physics_table() {
    let table: [(&str, [f64; 3]); 10] = [
        ("C", [15.8, 43.7, 70.9]),
        ("P", [6.1, 16.9, 27.5]),
        ("Cl", [5.3, 14.8, 24.0]),
        ("Cu", [3.0, 8.3, 13.4]),
        ("Zn", [2.9, 8.0, 13.0]),
        ("Se", [2.4, 6.7, 10.8]),
        ("Br", [2.4, 6.6, 10.7]),
        ("Cd", [1.7, 4.7, 7.6]),
        ("Cs", [1.4, 4.0, 6.4]),
        ("Au", [1.0, 2.7, 4.3]),
    ];
    for (name, values) in table {
        let (_, a) = element(name);
        for (e0, expected) in [80.0, 200.0, 300.0].into_iter().zip(values) {
            let e_max = kinematics::max_transfer_ev(e0, a);
            assert!(
                close(e_max, expected, 0.05),
                "{name} at {e0} kV: {e_max} eV vs {expected}"
            );
        }
    }
}

fn knock_on(name: &str, e_d: f64, formula: Formula) -> KnockOn {
    let (z, a) = element(name);
    KnockOn {
        atomic_number: z,
        mass: a,
        threshold: Threshold {
            mean: e_d,
            spread: 0.0,
        },
        formula,
        escape: Escape::Bulk,
    }
}

/// The MF / Rutherford cross-sections of physics.md §2.2 (13 rows × 2 energies × 2 forms =
/// 52 values, sharp thresholds): within 2 % or the table's rounding to whole barns.
#[test]
fn beam_cross_sections_match_physics_table() {
    // (element, E_d [eV], [MF 200, R 200, MF 300, R 300] [b]); `None` for the row whose
    // Rutherford value at 200 kV is not printed (E_max below E_d: both are 0).
    let table: [(&str, f64, [f64; 4]); 13] = [
        ("Cl", 5.0, [244.0, 312.0, 244.0, 299.0]),
        ("Cl", 8.0, [93.0, 136.0, 114.0, 158.0]),
        ("Cl", 10.0, [48.0, 77.0, 74.0, 110.0]),
        ("Br", 5.0, [130.0, 212.0, 259.0, 378.0]),
        ("Zn", 5.0, [201.0, 300.0, 287.0, 393.0]),
        ("Cs", 3.0, [335.0, 527.0, 691.0, 936.0]),
        ("Se", 5.0, [129.0, 210.0, 250.0, 364.0]),
        ("Se", 7.0, [0.0, 0.0, 98.0, 170.0]),
        ("Cd", 4.0, [123.0, 212.0, 380.0, 561.0]),
        ("Cu", 5.0, [204.0, 302.0, 283.0, 385.0]),
        ("Cu", 8.0, [8.0, 15.0, 92.0, 155.0]),
        ("P", 8.0, [98.0, 139.0, 111.0, 149.0]),
        ("Au", 2.0, [759.0, 1143.0, 1590.0, 1975.0]),
    ];
    for (name, e_d, values) in table {
        let computed = [
            (200.0, Formula::McKinleyFeshbach),
            (200.0, Formula::Rutherford),
            (300.0, Formula::McKinleyFeshbach),
            (300.0, Formula::Rutherford),
        ]
        .map(|(e0, f)| knock_on(name, e_d, f).cross_section(e0) / SQUARE_ANGSTROM_PER_BARN);
        for (c, expected) in computed.into_iter().zip(values) {
            assert!(
                close(c, expected, 0.5),
                "{name}, E_d = {e_d} eV: computed {computed:?} b vs table {values:?}"
            );
        }
    }
}

/// physics.md §2.2 example: surface Cl, E_d = 8 eV, 200 kV, 1000 e Å⁻² s⁻¹ → k ≈ 1×10⁻³ s⁻¹
/// (σ = 93 b; the handy form k = σ[b] × 10⁻⁵ × φ/1000).
#[test]
fn beam_rate_example_matches_handy_form() {
    let sigma = knock_on("Cl", 8.0, Formula::McKinleyFeshbach).cross_section(200.0);
    let k = sigma * 1000.0;
    assert!((k - 0.93e-3).abs() < 0.03e-3, "{k}");
}

/// Planar escape: σ at E_d equals the bulk σ at E_min = √(E_d E_max) (exact identity, 1e-12).
#[test]
fn beam_planar_escape_uses_geometric_mean_threshold() {
    let bulk = knock_on("Cl", 5.0, Formula::McKinleyFeshbach);
    let planar = KnockOn {
        escape: Escape::Planar,
        ..bulk
    };
    let e_min = (5.0 * bulk.max_transfer(200.0)).sqrt();
    let a = planar.cross_section(200.0);
    let b = bulk.sharp_cross_section(200.0, e_min);
    assert!((a - b).abs() <= 1e-12 * b, "{a} vs {b}");
    assert!(a < bulk.cross_section(200.0));
}

/// A threshold spread makes a sub-threshold displacement possible (Se, E_d = 7 eV at
/// 200 kV: 0 sharp, > 1 b with 15 % spread), and far above threshold it gives the Gaussian
/// mean of the closed form: for Rutherford, σ ∝ E_max E[1/E_d] − 1 with
/// E[1/E_d] = (1 + s² + 3s⁴ + 15s⁶ + …)/E_d (Cl, 5 eV, s = 0.15: to 1e-3 relative).
#[test]
fn beam_threshold_spread_averages_the_closed_form() {
    let se = knock_on("Se", 7.0, Formula::McKinleyFeshbach);
    assert!(se.cross_section(200.0) == 0.0);
    let spread = KnockOn {
        threshold: Threshold {
            mean: 7.0,
            spread: 0.15,
        },
        ..se
    };
    assert!(spread.cross_section(200.0) / SQUARE_ANGSTROM_PER_BARN > 1.0);
    let cl = knock_on("Cl", 5.0, Formula::Rutherford);
    let s: f64 = 0.15;
    let cl_spread = KnockOn {
        threshold: Threshold {
            mean: 5.0,
            spread: s,
        },
        ..cl
    };
    let e_max = cl.max_transfer(200.0);
    let inverse_mean = (1.0 + s * s + 3.0 * s.powi(4) + 15.0 * s.powi(6)) / 5.0;
    let expected = mckinley_feshbach::prefactor(17.0, kinematics::beta_squared(200.0))
        * (e_max * inverse_mean - 1.0);
    let got = cl_spread.cross_section(200.0);
    assert!((got / expected - 1.0).abs() < 1e-3, "{got} vs {expected}");
}

/// σ₀ = 0.2494 b (physics.md §2.2), to 0.1 %.
#[test]
fn beam_sigma_zero_is_quarter_barn() {
    let s = mckinley_feshbach::sigma_zero() / SQUARE_ANGSTROM_PER_BARN;
    assert!((s - 0.2494).abs() < 2.5e-4, "{s}");
}
