//! What acceleration did, for run summaries and trajectories: [`AccelReport`], built from a
//! [`Detector`] and the engine's current factors, and its one-paragraph `Display`.

use super::{BasinStats, Detector, basin};

/// What acceleration did, for run summaries and trajectories.
#[derive(Debug, Clone, PartialEq)]
pub struct AccelReport {
    /// Detection windows completed.
    pub windows: u64,
    /// Current factor per channel and region, labelled `channel` (one region) or
    /// `channel@region`.
    pub factors: Vec<(String, f64)>,
    /// Changes of decided factors: (time [s], label, factor, reason).
    pub changes: Vec<(f64, String, f64, &'static str)>,
    /// Estimated events saved: Σ over executed events of scaled channels of `1/f − 1`.
    pub saved_events: f64,
    /// Events executed.
    pub executed: u64,
    /// Exact basin escapes (`None` with `method = "scaling"`).
    pub basin: Option<BasinStats>,
    /// The separation the factors were decided with (for the check the summary asks for).
    pub separation: f64,
}

impl AccelReport {
    /// Builds the report of `detector`, with the current per-group factors `scale`, region
    /// names `regions` and `executed` events.
    #[must_use]
    pub fn new(detector: &Detector, scale: &[f64], regions: &[String], executed: u64) -> Self {
        let label = |c: usize, r: usize| {
            if detector.n_regions == 1 {
                detector.channels[c].name.clone()
            } else {
                format!(
                    "{}@{}",
                    detector.channels[c].name,
                    regions.get(r).map_or("?", String::as_str)
                )
            }
        };
        let mut factors = Vec::new();
        for (c, ch) in detector.channels.iter().enumerate() {
            for r in 0..detector.n_regions {
                #[allow(clippy::cast_possible_truncation)]
                let g = detector.group(ch.forward, r as u32);
                factors.push((label(c, r), scale[g]));
            }
        }
        let changes = detector
            .changes
            .iter()
            .map(|ch| {
                (
                    ch.time,
                    label(ch.channel as usize, ch.region as usize),
                    ch.factor,
                    ch.reason.name(),
                )
            })
            .collect();
        Self {
            windows: detector.windows,
            factors,
            changes,
            saved_events: detector.saved_events,
            executed,
            basin: detector
                .settings
                .method
                .solves_basins()
                .then(|| detector.basin.clone()),
            separation: detector.settings.separation,
        }
    }

    /// Simulated time per executed event relative to an unscaled run: `(executed + saved)
    /// / executed` (1 when nothing was scaled).
    #[must_use]
    // counts are far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    pub fn speedup(&self) -> f64 {
        if self.executed == 0 {
            1.0
        } else {
            (self.executed as f64 + self.saved_events) / self.executed as f64
        }
    }
}

impl std::fmt::Display for AccelReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} detection windows, {} factor changes, ~{:.3e} events saved (simulated time per event ×{:.3e})",
            self.windows,
            self.changes.len(),
            self.saved_events,
            self.speedup()
        )?;
        if let Some(b) = &self.basin {
            write!(
                f,
                "; basins solved exactly: {} ({} with the exact law, {} to a window end, largest {} states, {} too large, {} not worth it)",
                b.solved, b.exact, b.survived, b.largest, b.abandoned, b.unprofitable
            )?;
            if b.paths > 0 || b.survivor_abandoned > 0 {
                write!(
                    f,
                    "; kinetic path sampling: {} basins above {} states, {} survivors too long to draw",
                    b.paths,
                    basin::DENSE_LIMIT,
                    b.survivor_abandoned
                )?;
            }
            if b.cache_hits > 0 {
                write!(f, "; {} basin laws taken from the cache", b.cache_hits)?;
            }
            if b.mover_steps > 0 || b.dependent > 0 {
                write!(
                    f,
                    "; independent movers: {} steps, up to {} movers at once, {} found dependent",
                    b.mover_steps, b.most_movers, b.dependent
                )?;
            }
            if b.exact < b.solved {
                write!(
                    f,
                    "; WARNING: {} basins used the mean-rate law (exact mean escape time and exit law, approximate distribution of the escape time)",
                    b.solved - b.exact
                )?;
            }
        }
        if self.changes.iter().any(|c| c.2 < 1.0) {
            write!(
                f,
                "; rate scaling was used (approximate): check the result by running again with separation = {:e} (twice {:e}); the observables must agree within their scatter",
                2.0 * self.separation,
                self.separation
            )?;
        }
        let scaled: Vec<String> = self
            .factors
            .iter()
            .filter(|(_, x)| *x < 1.0)
            .map(|(l, x)| format!("{l} {x:.3e}"))
            .collect();
        write!(
            f,
            "; scaled now: {}",
            if scaled.is_empty() {
                "none".to_string()
            } else {
                scaled.join(", ")
            }
        )
    }
}
