//! The `[acceleration]` block: from the file to an [`AccelPlan`], every knob checked at
//! its line and key.

use std::ops::Range;

use super::AccelPlan;
use super::compile::listing;
use super::file::Acceleration;
use crate::accel::{self, AccelSettings, Method, RegionMode};
use crate::error::{Error, Result};
use crate::input::{Source, Spanned, closest};
use crate::model::Model;

/// The known methods.
const METHODS: [&str; 4] = ["off", "scaling", "basin", "movers"];
/// The known region modes.
const REGIONS: [&str; 2] = ["domains", "whole"];

/// Checks the block. `None` when the block is absent or `method = "off"`.
pub(super) fn compile(
    source: &Source,
    block: Option<&Acceleration>,
    model: &Model,
) -> Result<Option<AccelPlan>> {
    let Some(b) = block else {
        return Ok(None);
    };
    let err = |span: Range<usize>, key: &str, message: String| -> Error {
        source.error(span, format!("acceleration.{key}"), message)
    };
    one_of(source, &b.method, "method", &METHODS)?;
    if b.method.get_ref() == "off" {
        return Ok(None);
    }
    let mut settings = AccelSettings::default();
    if b.method.get_ref() == "basin" {
        settings.method = Method::Basin;
    } else if b.method.get_ref() == "movers" {
        settings.method = Method::Movers;
    }
    let number = |v: &Spanned<toml::Value>, key: &str| -> Result<f64> {
        match v.get_ref() {
            toml::Value::Float(x) => Ok(*x),
            #[allow(clippy::cast_precision_loss)]
            toml::Value::Integer(i) => Ok(*i as f64),
            _ => Err(err(v.span(), key, "must be a number".into())),
        }
    };
    if let Some(v) = &b.separation {
        settings.separation = number(v, "separation")?;
        if !(settings.separation.is_finite() && settings.separation >= 1.0) {
            return Err(err(v.span(), "separation", "must be a number ≥ 1".into()));
        }
    }
    let count = |v: &Spanned<i64>, key: &str| -> Result<u64> {
        u64::try_from(*v.get_ref())
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| err(v.span(), key, "must be an integer ≥ 1".into()))
    };
    if let Some(v) = &b.max_basin_states {
        settings.max_basin_states = basin_states(source, v, settings.method)?;
    }
    if let Some(v) = &b.window {
        settings.window = count(v, "window")?;
    }
    if let Some(v) = &b.min_executions {
        settings.min_executions = count(v, "min_executions")?;
        if 2 * settings.min_executions > settings.window {
            return Err(err(
                v.span(),
                "min_executions",
                format!(
                    "must be at most half the detection window ({} events), so that both directions fit in it",
                    settings.window
                ),
            ));
        }
    } else if 2 * settings.min_executions > settings.window {
        let span = b.window.as_ref().map_or(0..0, Spanned::span);
        return Err(err(
            span,
            "window",
            format!(
                "must hold at least twice `min_executions` ({}) events",
                settings.min_executions
            ),
        ));
    }
    if let Some(v) = &b.balance {
        settings.balance = number(v, "balance")?;
        if !(settings.balance >= 0.0 && settings.balance < 1.0) {
            return Err(err(v.span(), "balance", "must lie in [0, 1)".into()));
        }
    }
    if let Some(v) = &b.min_factor {
        settings.min_factor = number(v, "min_factor")?;
        if !(settings.min_factor > 0.0 && settings.min_factor <= 1.0) {
            return Err(err(v.span(), "min_factor", "must lie in (0, 1]".into()));
        }
    }
    if let Some(v) = &b.regions {
        one_of(source, v, "regions", &REGIONS)?;
        settings.regions = if v.get_ref() == "whole" {
            RegionMode::Whole
        } else {
            RegionMode::Domains
        };
    }
    settings.validate()?;
    let scalable = accel::scalable_channels(model);
    let channels = select_channels(source, b, model, &scalable)?;
    if scalable.is_empty() || channels.as_ref().is_some_and(Vec::is_empty) {
        return Err(err(
            b.method.span(),
            "method",
            "acceleration is on but the potential has no reversible thermal swap event to scale"
                .into(),
        ));
    }
    Ok(Some(AccelPlan { settings, channels }))
}

/// The forward rules named in `channels` (`None` when the key is absent).
fn select_channels(
    source: &Source,
    b: &Acceleration,
    model: &Model,
    scalable: &[accel::Channel],
) -> Result<Option<Vec<u32>>> {
    let err = |span: Range<usize>, key: &str, message: String| -> Error {
        source.error(span, format!("acceleration.{key}"), message)
    };
    let channels = match &b.channels {
        None => None,
        Some(list) => {
            let names: Vec<&str> = scalable.iter().map(|c| c.name.as_str()).collect();
            let mut chosen = Vec::new();
            for name in list.get_ref() {
                let Some(ch) = scalable.iter().find(|c| &c.name == name) else {
                    let what = if model.rules.iter().any(|r| &r.name == name) {
                        format!(
                            "event `{name}` cannot be scaled (only reversible thermal swaps can)"
                        )
                    } else {
                        format!("no event `{name}` in the potential")
                    };
                    let hint = closest(name, &names)
                        .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
                    return Err(err(
                        list.span(),
                        "channels",
                        format!(
                            "{what} (scalable: {}){hint}",
                            if names.is_empty() {
                                "none".to_string()
                            } else {
                                listing(names.iter().copied())
                            }
                        ),
                    ));
                };
                if !chosen.contains(&ch.forward) {
                    chosen.push(ch.forward);
                }
            }
            Some(chosen)
        }
    };
    Ok(channels)
}

/// Checks that `value` is one of `known`, with a suggestion for a near miss.
fn one_of(source: &Source, value: &Spanned<String>, key: &str, known: &[&str]) -> Result<()> {
    if known.contains(&value.get_ref().as_str()) {
        return Ok(());
    }
    let hint =
        closest(value.get_ref(), known).map_or(String::new(), |s| format!("; did you mean `{s}`?"));
    Err(source.error(
        value.span(),
        format!("acceleration.{key}"),
        format!(
            "unknown value `{}` (known: {}){hint}",
            value.get_ref(),
            listing(known.iter().copied())
        ),
    ))
}

/// `max_basin_states`: an integer in 2 ..= [`accel::MAX_BASIN_STATES`] (basin) or
/// [`accel::MAX_MOVER_STATES`] (movers), only with those methods.
fn basin_states(source: &Source, v: &Spanned<i64>, method: Method) -> Result<u32> {
    let err = |message: String| source.error(v.span(), "acceleration.max_basin_states", message);
    if !method.solves_basins() {
        return Err(err(
            "applies only to `method = \"basin\"` or `\"movers\"`".into()
        ));
    }
    let most = method.max_basin_states();
    u32::try_from(*v.get_ref())
        .ok()
        .filter(|n| (2..=most).contains(n))
        .ok_or_else(|| {
            err(format!(
                "must be an integer in 2 ..= {most} (with `method = \"{}\"`)",
                if method == Method::Movers {
                    "movers"
                } else {
                    "basin"
                }
            ))
        })
}
