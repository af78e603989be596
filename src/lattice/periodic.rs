//! The periodic block: a crystal repeated along its three cell vectors, all axes periodic
//! (the SPPARKS-style benchmark path; 10⁶ sites without any k-d tree).

use super::assembly::{SiteList, check_kinds};
use super::crystal::Crystal;
use crate::error::{Error, Result};
use crate::sites::{DomainId, KindId, SimulationBox};

/// A periodic block of `repeats[0] × repeats[1] × repeats[2]` cells of `crystal`, all axes
/// periodic, box origin at 0 and edges `repeats[i] · cell[i]`. `kinds` has one kind per
/// basis site. Sites are ordered cell by cell (`n0` slowest, then `n1`, `n2`, then the
/// basis), so equivalent interior sites get identical neighbour offsets (few templates).
/// All sites are inside, in domain 0 named `domain_name`.
///
/// # Errors
/// If a repeat is 0, the kind count does not match the basis, or there would be more than
/// `u32::MAX` sites.
pub fn periodic_crystal(
    crystal: &Crystal,
    repeats: [usize; 3],
    kinds: &[KindId],
    domain_name: &str,
) -> Result<SiteList> {
    let context = format!("periodic crystal `{domain_name}`");
    check_kinds(&context, crystal, kinds)?;
    if repeats.contains(&0) {
        return Err(Error::build(&context, "repeats must be at least 1"));
    }
    let n_basis = crystal.basis.len();
    let total = repeats
        .iter()
        .try_fold(n_basis, |acc, &r| acc.checked_mul(r))
        .filter(|&n| u32::try_from(n).is_ok())
        .ok_or_else(|| Error::build(&context, "more than 4294967295 sites"))?;
    let mut positions = Vec::with_capacity(total);
    let mut site_kinds = Vec::with_capacity(total);
    let mut roles = Vec::with_capacity(total);
    // The basis index fits in u16: Crystal::general limits the basis to 65535 sites.
    let basis_roles: Vec<u16> = (0..n_basis)
        .map(|b| u16::try_from(b).unwrap_or(u16::MAX))
        .collect();
    for i in 0..repeats[0] {
        for j in 0..repeats[1] {
            for k in 0..repeats[2] {
                #[allow(clippy::cast_precision_loss)]
                let cell = [i as f64, j as f64, k as f64];
                for (b, site) in crystal.basis.iter().enumerate() {
                    positions.push(crystal.cartesian([
                        cell[0] + site.frac[0],
                        cell[1] + site.frac[1],
                        cell[2] + site.frac[2],
                    ]));
                    site_kinds.push(kinds[b]);
                    roles.push(basis_roles[b]);
                }
            }
        }
    }
    let mut edges = crystal.cell;
    for (edge, &r) in edges.iter_mut().zip(&repeats) {
        #[allow(clippy::cast_precision_loss)]
        let r = r as f64;
        for x in edge.iter_mut() {
            *x *= r;
        }
    }
    Ok(SiteList {
        positions,
        kinds: site_kinds,
        domains: vec![DomainId(0); total],
        inside: vec![true; total],
        roles,
        domain_names: vec![domain_name.to_string()],
        simulation_box: SimulationBox {
            origin: [0.0; 3],
            edges,
            periodic: [true; 3],
        },
    })
}
