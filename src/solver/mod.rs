//! Placeholder, filled in by its owner this session.
pub mod classes;
