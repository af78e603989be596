//! The `facets` arm of the `[[analysis]]` checker: the families, the domain whose cell
//! their indices refer to (`lattice`), and `max_angle`.

use super::{AnalysisFile, Checker};
use crate::analysis::{Observable, Region, facets};
use crate::error::Result;

/// `max_angle` when not given [rad]: 15°, between the 0° of an atom on a flat facet and
/// the ~35° of the nearest other low-index normals of cubic and hexagonal cells.
const DEFAULT_MAX_ANGLE_DEG: f64 = 15.0;

impl Checker<'_> {
    /// Compiles a `type = "facets"` entry (`region` already checked).
    pub(super) fn facets(&self, i: usize, f: &AnalysisFile, region: Region) -> Result<Observable> {
        let key = |k: &str| format!("analysis[{i}].{k}");
        let families = f.families.as_ref().ok_or_else(|| {
            self.err(
                f.kind.span(),
                &key("families"),
                "a `facets` analysis needs `families`, e.g. [\"{111}\", \"{100}\"]",
            )
        })?;
        if families.get_ref().is_empty() {
            return Err(self.err(families.span(), &key("families"), "must name a family"));
        }
        let domain = self.lattice_domain(i, f, &region)?;
        let cell = self
            .cells
            .get(domain)
            .copied()
            .unwrap_or([[f64::NAN; 3]; 3]);
        if cell.iter().flatten().any(|x| !x.is_finite()) {
            return Err(self.err(
                f.lattice
                    .as_ref()
                    .map_or(families.span(), toml::Spanned::span),
                &key("lattice"),
                format!("domain `{}` has no crystal cell", self.domains[domain]),
            ));
        }
        let mut list: Vec<facets::Family> = Vec::new();
        for text in families.get_ref() {
            let family = facets::Family::parse(text, &cell)
                .map_err(|m| self.err(families.span(), &key("families"), m))?;
            if list.iter().any(|o| o.label == family.label) {
                return Err(self.err(
                    families.span(),
                    &key("families"),
                    format!("`{}` is listed twice", family.label),
                ));
            }
            list.push(family);
        }
        let max_angle = match &f.max_angle {
            None => DEFAULT_MAX_ANGLE_DEG.to_radians(),
            Some(a) => parse_angle(a.get_ref())
                .filter(|x| *x > 0.0 && *x < std::f64::consts::FRAC_PI_2)
                .ok_or_else(|| {
                    self.err(
                        a.span(),
                        &key("max_angle"),
                        format!(
                            "`{}` is not an angle between 0 and 90 deg: write e.g. \"15 deg\" or \"0.25 rad\"",
                            a.get_ref()
                        ),
                    )
                })?,
        };
        Ok(Observable::Facets(facets::Facets {
            species: self.species_set(f, &key("species"))?,
            region,
            shell: self.required_shell(f, &key("shell"), "facets")?,
            families: list,
            max_angle,
        }))
    }

    /// The domain whose cell the Miller indices refer to: `lattice`, else the one domain of
    /// `domains`, else the only domain of the geometry.
    fn lattice_domain(&self, i: usize, f: &AnalysisFile, region: &Region) -> Result<usize> {
        let key = format!("analysis[{i}].lattice");
        if let Some(l) = &f.lattice {
            let found = self.domain(l.get_ref(), l.span(), &key)?;
            return match found.as_slice() {
                [one] => Ok(one.index()),
                _ => Err(self.err(
                    l.span(),
                    &key,
                    format!(
                        "`{}` names {} domains: write `particle/domain`",
                        l.get_ref(),
                        found.len()
                    ),
                )),
            };
        }
        match (region.domains.as_deref(), self.domains.len()) {
            (Some([one]), _) => Ok(one.index()),
            (None, 1) => Ok(0),
            _ => Err(self.err(
                f.kind.span(),
                &key,
                "a `facets` analysis over several domains needs `lattice`: the domain whose cell the indices refer to",
            )),
        }
    }
}

/// An angle written `"15 deg"`, `"15°"` or `"0.26 rad"` [rad].
fn parse_angle(text: &str) -> Option<f64> {
    let t = text.trim();
    let (number, factor) = if let Some(n) = t.strip_suffix("deg").or_else(|| t.strip_suffix('°')) {
        (n, std::f64::consts::PI / 180.0)
    } else if let Some(n) = t.strip_suffix("rad") {
        (n, 1.0)
    } else {
        return None;
    };
    number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(|x| x * factor)
}
