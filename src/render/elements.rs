//! Atomic numbers by chemical symbol, for the Z-contrast of HAADF images.
//!
//! The symbols of elements 1 to 118 in order of atomic number, from the IUPAC Periodic
//! Table of the Elements (IUPAC, version of 4 May 2022,
//! <https://iupac.org/what-we-do/periodic-table-of-elements/>). A species whose element is
//! not a chemical symbol (a pseudo-element of an illustrative model) gets its Z from the
//! command line (`nanokmc render --z NAME=Z`).

/// Element symbols; the atomic number of `SYMBOLS[i]` is `i + 1`.
const SYMBOLS: [&str; 118] = [
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In",
    "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb",
    "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl",
    "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk",
    "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh",
    "Fl", "Mc", "Lv", "Ts", "Og",
];

/// The atomic number of the element `symbol` (exact spelling, e.g. `Cd`), or `None`.
#[must_use]
pub fn atomic_number(symbol: &str) -> Option<u32> {
    SYMBOLS
        .iter()
        .position(|s| *s == symbol)
        .and_then(|i| u32::try_from(i + 1).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_number_of_known_elements() {
        assert_eq!(atomic_number("H"), Some(1));
        assert_eq!(atomic_number("Cu"), Some(29));
        assert_eq!(atomic_number("Cd"), Some(48));
        assert_eq!(atomic_number("Se"), Some(34));
        assert_eq!(atomic_number("Au"), Some(79));
        assert_eq!(atomic_number("Og"), Some(118));
        assert_eq!(atomic_number("X"), None);
        assert_eq!(atomic_number("cu"), None);
    }
}
