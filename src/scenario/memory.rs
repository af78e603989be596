//! The memory a system needs, estimated from the scenario's geometry before anything is
//! built, and the check that refuses a system larger than the machine (or than
//! `--max-memory`) with exit code 2 and the estimate, instead of growing until the
//! allocator fails.

use super::{Geometry, Scenario};
use crate::error::Result;

/// Bytes held per candidate site while a system is built and run: the site list and its
/// k-d tree, the neighbour graph, the occupancy and the event table. Measured peaks are
/// 88–220 B per site (`nanokmc check` at 10⁶ and 10⁵ sites, including fixed overheads);
/// 300 keeps the estimate above them.
pub const BYTES_PER_SITE: f64 = 300.0;

impl Scenario {
    /// An upper bound of the sites the builder enumerates (see
    /// [`crate::lattice::estimate`]).
    #[must_use]
    pub fn estimated_sites(&self) -> f64 {
        match &self.geometry {
            Geometry::Block { phase, cells } => {
                #[allow(clippy::cast_precision_loss)]
                let cells = cells.iter().map(|&c| c as f64).product::<f64>();
                #[allow(clippy::cast_precision_loss)]
                let basis = self.potential.phases[*phase]
                    .crystal()
                    .map_or(1.0, |c| c.basis.len() as f64);
                cells * basis
            }
            Geometry::Assembly { assembly, .. } => assembly.estimated_candidates(),
        }
    }

    /// Estimated peak memory of building and running one replica [bytes].
    #[must_use]
    pub fn estimated_memory(&self) -> f64 {
        self.estimated_sites() * BYTES_PER_SITE
    }

    /// Refuses a system whose estimated memory exceeds `limit` [bytes] (`None`: the memory
    /// available on this machine, when it can be read).
    ///
    /// # Errors
    /// [`Error::Input`] naming the scenario's geometry, with the estimate and the limit.
    pub fn check_memory(&self, limit: Option<f64>) -> Result<()> {
        let (limit, what) = match limit {
            Some(l) => (l, "--max-memory"),
            None => match available_memory() {
                Some(a) => (a, "the memory available on this machine"),
                None => return Ok(()),
            },
        };
        let need = self.estimated_memory();
        if need > limit {
            return Err(self.source.file_error(
                "geometry",
                format!(
                    "about {:.3e} sites, about {} to build and run one replica, more than {what} ({}): make the particle or the margin smaller{}",
                    self.estimated_sites(),
                    gigabytes(need),
                    gigabytes(limit),
                    if what == "--max-memory" {
                        ""
                    } else {
                        ", or pass --max-memory if the estimate is too cautious"
                    }
                ),
            ));
        }
        Ok(())
    }
}

fn gigabytes(bytes: f64) -> String {
    format!("{:.2} GB", bytes / 1e9)
}

/// `MemAvailable` of `/proc/meminfo` [bytes] (Linux); `None` elsewhere.
#[must_use]
pub fn available_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}
