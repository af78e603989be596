//! Compiling the temperature/beam `[program]`, the `[stop]` conditions and `[output]`.

use std::ops::Range;

use super::{
    Compiler, Dimension, FrameSchedule, MAX_TEMPERATURE, Observable, OutputPlan, Program, Quantity,
    QuantityText, RampSpeed, Result, Schedule, Spanned, Step, StopCondition, StopPlan, closest,
    file, listing, temperature_steps_with_ends,
};

impl Compiler<'_> {
    fn temperature(&self, q: &Quantity, key: &str) -> Result<f64> {
        let t = self.quantity(q, Dimension::Temperature, key)?;
        if !(t > 0.0 && t.is_finite()) {
            Err(self.err(q.span(), key, "must be above 0 K"))
        } else if t > MAX_TEMPERATURE {
            Err(self.err(
                q.span(),
                key,
                format!(
                    "{t:.4e} K is above {MAX_TEMPERATURE:.0} K, where no crystal (and no lattice model) exists; check the unit"
                ),
            ))
        } else {
            Ok(t)
        }
    }

    fn duration(&self, q: &Quantity, key: &str) -> Result<f64> {
        let t = self.quantity(q, Dimension::Time, key)?;
        if t >= 0.0 && t.is_finite() {
            Ok(t)
        } else {
            Err(self.err(q.span(), key, "must be a time ≥ 0"))
        }
    }

    /// A heating rate such as `"10 K/min"` or `"5 C/s"` [K s⁻¹], > 0.
    fn heating_rate(&self, q: &Quantity, key: &str) -> Result<f64> {
        let bad = |m: &str| {
            self.err(
                q.span(),
                key,
                format!("{m}: expected a heating rate such as \"10 K/min\" or \"0.5 C/s\""),
            )
        };
        let QuantityText::Text(t) = q.get_ref() else {
            return Err(bad("a unit is required"));
        };
        let t = t.trim();
        let split = t
            .find(|c: char| c.is_alphabetic() || c == '°')
            .ok_or_else(|| bad("no unit"))?;
        let value: f64 = t[..split].trim().parse().map_err(|_| bad("not a number"))?;
        let unit = t[split..].trim();
        let (temp, time) = unit
            .split_once('/')
            .ok_or_else(|| bad("unit must be temperature/time"))?;
        if !matches!(temp.trim(), "K" | "C" | "°C" | "degC") {
            return Err(bad("temperature unit must be K or C"));
        }
        let per = crate::units::parse_quantity(&format!("1 {}", time.trim()), Dimension::Time)
            .map_err(|_| bad("unknown time unit"))?;
        let rate = value / per;
        if rate > 0.0 && rate.is_finite() {
            Ok(rate)
        } else {
            Err(bad("must be positive"))
        }
    }

    /// The program, its beam windows and the end time of each of its `steps` [s] (none for
    /// a `temperature_table`).
    pub(super) fn program(
        &self,
        pf: &file::ProgramFile,
    ) -> Result<(Program, Vec<crate::beam::report::WindowSummary>, Vec<f64>)> {
        let at = self.header("program", None);
        let mut step_ends = Vec::new();
        let temperature = if let Some(table) = &pf.temperature_table {
            if pf.temperature.is_some() || !pf.steps.is_empty() {
                return Err(self.err(
                    table.span(),
                    "program.temperature_table",
                    "give either `temperature` with `steps`, or `temperature_table`",
                ));
            }
            let mut points = Vec::new();
            for (i, [t, v]) in table.get_ref().iter().enumerate() {
                let time = self.duration(t, &format!("program.temperature_table[{i}][0]"))?;
                let temp = self.temperature(v, &format!("program.temperature_table[{i}][1]"))?;
                if let Some(&(last, _)) = points.last()
                    && time < last
                {
                    return Err(self.err(
                        t.span(),
                        &format!("program.temperature_table[{i}][0]"),
                        "times must not decrease (the table goes backwards in time)",
                    ));
                }
                points.push((time, temp));
            }
            if points.first().is_some_and(|p| p.0 != 0.0) {
                return Err(self.err(
                    table.span(),
                    "program.temperature_table",
                    "the table must start at time 0",
                ));
            }
            Schedule::from_points(points)
                .map_err(|e| self.err(table.span(), "program.temperature_table", e.to_string()))?
        } else {
            let Some(initial) = &pf.temperature else {
                return Err(self.err(
                    at.clone(),
                    "program.temperature",
                    "the program needs a starting `temperature` (or a `temperature_table`)",
                ));
            };
            let initial = self.temperature(initial, "program.temperature")?;
            let mut steps = Vec::new();
            for (i, s) in pf.steps.iter().enumerate() {
                let key = format!("program.steps[{i}]");
                let sf = s;
                // the step's first quantity (steps are often written inline, without a
                // `[[program.steps]]` header to point at).
                let sat = [&sf.hold, &sf.ramp_to, &sf.duration, &sf.rate]
                    .into_iter()
                    .flatten()
                    .map(Spanned::span)
                    .next()
                    .unwrap_or_else(|| self.header("program.steps", Some(i)));
                let step = match (&sf.hold, &sf.ramp_to) {
                    (Some(h), None) => {
                        if sf.rate.is_some() {
                            return Err(self.err(sat.clone(), &format!("{key}.rate"), "a hold takes a `duration`, not a `rate`"));
                        }
                        let Some(d) = &sf.duration else {
                            return Err(self.err(sat.clone(), &format!("{key}.duration"), "a hold needs a `duration`"));
                        };
                        Step::Hold {
                            temperature: self.temperature(h, &format!("{key}.hold"))?,
                            duration: self.duration(d, &format!("{key}.duration"))?,
                        }
                    }
                    (None, Some(to)) => {
                        let speed = match (&sf.rate, &sf.duration) {
                            (Some(r), None) => RampSpeed::Rate(self.heating_rate(r, &format!("{key}.rate"))?),
                            (None, Some(d)) => RampSpeed::Duration(self.duration(d, &format!("{key}.duration"))?),
                            _ => return Err(self.err(sat.clone(), &key, "a ramp needs exactly one of `rate` or `duration`")),
                        };
                        Step::Ramp { to: self.temperature(to, &format!("{key}.ramp_to"))?, speed }
                    }
                    _ => return Err(self.err(sat.clone(), &key, "a step is either `hold` (with `duration`) or `ramp_to` (with `rate` or `duration`)")),
                };
                steps.push(step);
            }
            let (schedule, ends) = temperature_steps_with_ends(initial, &steps)
                .map_err(|e| self.err(at.clone(), "program.steps", e.to_string()))?;
            step_ends = ends;
            schedule
        };
        let (program, windows) = self.beam_program(pf, &temperature, at)?;
        Ok((program, windows, step_ends))
    }

    pub(super) fn stop(
        &self,
        sf: &file::Stop,
        program: &Program,
        domains: &[String],
    ) -> Result<StopPlan> {
        let at = self.header("stop", None);
        let mut time = match &sf.time {
            Some(q) => {
                let t = self.duration(q, "stop.time")?;
                if t <= 0.0 {
                    return Err(self.err(q.span(), "stop.time", "must be > 0"));
                }
                Some(t)
            }
            None => None,
        };
        if let Some(e) = &sf.end_of_program
            && *e.get_ref()
        {
            let end = program.end_time();
            if end <= 0.0 {
                return Err(self.err(
                    e.span(),
                    "stop.end_of_program",
                    "the program is constant: it has no end (give `stop.time`)",
                ));
            }
            time = Some(time.map_or(end, |t| t.min(end)));
        }
        let events = match &sf.events {
            Some(e) => Some(
                u64::try_from(*e.get_ref())
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| self.err(e.span(), "stop.events", "must be an integer ≥ 1"))?,
            ),
            None => None,
        };
        let mut conditions = Vec::new();
        for (i, w) in sf.when.iter().enumerate() {
            let key = format!("stop.when[{i}]");
            let wf = w;
            let species = self.species(&wf.species, &format!("{key}.species"))?;
            let doms = match &wf.domain {
                Some(d) => Some(self.domains(d, &format!("{key}.domain"), domains)?),
                None => None,
            };
            let at_most = u64::try_from(*wf.at_most.get_ref()).map_err(|_| {
                self.err(
                    wf.at_most.span(),
                    &format!("{key}.at_most"),
                    "must be an integer ≥ 0",
                )
            })?;
            let place = wf
                .domain
                .as_ref()
                .map_or(String::new(), |d| format!(" in {}", d.get_ref()));
            conditions.push(StopCondition {
                species,
                domains: doms,
                at_most,
                description: format!("{} ≤ {at_most}{place}", wf.species.get_ref()),
            });
        }
        if time.is_none() && events.is_none() && conditions.is_empty() {
            return Err(self.err(at, "stop", "the run would never stop: give `time`, `events`, `end_of_program = true` or a `when` condition"));
        }
        Ok(StopPlan {
            time,
            events,
            conditions,
        })
    }

    #[allow(clippy::too_many_lines)]
    pub(super) fn output(&self, o: Option<&file::Output>, stop: &StopPlan) -> Result<OutputPlan> {
        let default_frames = |span: Range<usize>| -> Result<FrameSchedule> {
            match (stop.time, stop.events) {
                (Some(t), _) => Ok(FrameSchedule::Every(t / 100.0)),
                (None, Some(n)) => Ok(FrameSchedule::EveryEvents((n / 100).max(1))),
                (None, None) => Err(self.err(span, "output", "with only species conditions to stop, give a frame schedule (`every`, `every_events` or `log_spaced`)")),
            }
        };
        let Some(o) = o else {
            return Ok(OutputPlan {
                file: None,
                frames: default_frames(0..0)?,
                observables: Vec::new(),
            });
        };
        let of = o;
        let at = self.header("output", None);
        let given = [
            of.every.is_some(),
            of.every_events.is_some(),
            of.frames.is_some(),
            of.log_spaced.is_some(),
        ];
        if given.iter().filter(|&&g| g).count() > 1 {
            return Err(self.err(
                at.clone(),
                "output",
                "give at most one of `every`, `every_events`, `frames` and `log_spaced`",
            ));
        }
        let frames = if let Some(q) = &of.every {
            let dt = self.duration(q, "output.every")?;
            if dt <= 0.0 {
                return Err(self.err(q.span(), "output.every", "must be > 0"));
            }
            FrameSchedule::Every(dt)
        } else if let Some(n) = &of.every_events {
            FrameSchedule::EveryEvents(
                u64::try_from(*n.get_ref())
                    .ok()
                    .filter(|&v| v > 0)
                    .ok_or_else(|| {
                        self.err(n.span(), "output.every_events", "must be an integer ≥ 1")
                    })?,
            )
        } else if let Some(n) = &of.frames {
            let count = u32::try_from(*n.get_ref())
                .ok()
                .filter(|&v| v > 0)
                .ok_or_else(|| self.err(n.span(), "output.frames", "must be an integer ≥ 1"))?;
            let Some(t) = stop.time else {
                return Err(self.err(
                    n.span(),
                    "output.frames",
                    "spreading frames over the run needs `stop.time` or `stop.end_of_program`",
                ));
            };
            FrameSchedule::Every(t / f64::from(count))
        } else if let Some(l) = &of.log_spaced {
            let lf = l;
            let first = self.duration(&lf.first, "output.log_spaced.first")?;
            if first <= 0.0 {
                return Err(self.err(lf.first.span(), "output.log_spaced.first", "must be > 0"));
            }
            let per_decade = u32::try_from(*lf.per_decade.get_ref())
                .ok()
                .filter(|&v| v > 0)
                .ok_or_else(|| {
                    self.err(
                        lf.per_decade.span(),
                        "output.log_spaced.per_decade",
                        "must be an integer ≥ 1",
                    )
                })?;
            FrameSchedule::LogSpaced { first, per_decade }
        } else {
            default_frames(at.clone())?
        };
        let mut observables = Vec::new();
        if let Some(list) = &of.observables {
            let names: Vec<&str> = Observable::ALL.iter().map(|(n, _)| *n).collect();
            for name in list.get_ref() {
                let Some((_, obs)) = Observable::ALL.iter().find(|(n, _)| n == name) else {
                    let hint = closest(name, &names)
                        .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
                    return Err(self.err(
                        list.span(),
                        "output.observables",
                        format!(
                            "unknown observable `{name}` (known: {}){hint}",
                            listing(names.iter().copied())
                        ),
                    ));
                };
                if !observables.contains(obs) {
                    observables.push(*obs);
                }
            }
        }
        let file = match &of.file {
            Some(f) if f.get_ref().trim().is_empty() => {
                return Err(self.err(f.span(), "output.file", "must not be empty"));
            }
            Some(f) => Some(std::path::PathBuf::from(f.get_ref())),
            None => None,
        };
        Ok(OutputPlan {
            file,
            frames,
            observables,
        })
    }
}
