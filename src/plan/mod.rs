//! Plans: the YAML a user writes, parsed into values that remember where they were written.
//! `model` is what a plan is; `parse` is the only code that reads plan YAML (with `fast`, `raw`
//! and `schema`); once a `Plan` exists it is valid (every entry has a known cloud, a region, a
//! unique name, a count of at least 1), and nothing downstream checks again.

mod fast;
mod model;
mod parse;
mod raw;
pub mod scalar;
mod schema;
pub mod suppress;

pub use model::*;
pub use parse::{both_readers, parse, yaml_options};
pub use raw::RawPlan;
pub use raw::Sp;
pub use schema::json_schema;

/// The most instances or images one entry may create, and the largest system disk in GB.
pub const MAX_COUNT: i64 = 1_000_000;

/// An id: one word of neither white space nor control characters, maybe padded with space.
pub const ID_PATTERN: &str = r"^\s*[^\s\u0000-\u001f\u007f-\u009f]+\s*$";
/// A name: like an id, but with spaces inside allowed.
pub const NAME_PATTERN: &str = r"^\s*[^\s\u0000-\u001f\u007f-\u009f]([^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f])?\s*$";
pub use suppress::Suppression;

/// Plans larger than this are refused before parsing: no real plan comes close.
pub const MAX_PLAN_BYTES: usize = 64 * 1024 * 1024;
