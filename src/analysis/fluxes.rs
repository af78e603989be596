//! `type = "fluxes"`: the net rate at which each domain gains atoms of each species,
//! `(N_k − N_{k−1}) / (t_k − t_{k−1})` [atoms/s] between consecutive frames (`NaN` at the
//! first frame and between frames at the same time), plus the counts themselves. With the
//! cumulative `/observables/evaporated` and `deposited` of the run, it closes the balance of
//! atoms between domains and the vacuum.

use super::{Frame, Measurement, State};
use crate::sites::DomainId;
use crate::state::SpeciesId;

/// A fluxes entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Fluxes {
    /// Domains, with the label used in quantity names (`/` written as `|`).
    pub domains: Vec<(DomainId, String)>,
    /// Species, with their names.
    pub species: Vec<(SpeciesId, String)>,
}

/// The counts and time of the previous frame.
#[derive(Debug, Clone, Default)]
pub struct Previous {
    time: f64,
    counts: Vec<u64>,
}

impl Fluxes {
    /// Appends `<domain>:<species>` [atoms] and `<domain>:<species>:rate` [atoms/s] per
    /// domain and species.
    pub fn measure(
        &self,
        frame: &Frame,
        name: &str,
        state: &mut State,
        out: &mut Vec<Measurement>,
    ) {
        let n_species = self.species.len();
        let mut counts = vec![0u64; self.domains.len() * n_species];
        let domains = frame.graph.domains();
        for (d, s) in domains.iter().zip(frame.species) {
            let Some(di) = self.domains.iter().position(|(x, _)| x == d) else {
                continue;
            };
            if let Some(si) = self.species.iter().position(|(x, _)| x == s) {
                counts[di * n_species + si] += 1;
            }
        }
        let previous = match state {
            State::Fluxes(p) => Some(p.clone()),
            _ => None,
        };
        for (di, (_, dname)) in self.domains.iter().enumerate() {
            for (si, (_, sname)) in self.species.iter().enumerate() {
                let k = di * n_species + si;
                #[allow(clippy::cast_precision_loss)]
                let n = counts[k] as f64;
                let rate = previous.as_ref().map_or(f64::NAN, |p| {
                    let dt = frame.time - p.time;
                    #[allow(clippy::cast_precision_loss)]
                    let dn = n - p.counts[k] as f64;
                    if dt > 0.0 { dn / dt } else { f64::NAN }
                });
                out.push(Measurement::scalar(
                    name,
                    &format!("{dname}:{sname}"),
                    "atoms",
                    n,
                ));
                out.push(Measurement::scalar(
                    name,
                    &format!("{dname}:{sname}:rate"),
                    "atoms/s",
                    rate,
                ));
            }
        }
        *state = State::Fluxes(Previous {
            time: frame.time,
            counts,
        });
    }
}
