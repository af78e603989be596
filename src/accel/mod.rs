//! Acceleration of fast, quasi-equilibrated events.

pub mod basin;
