//! preflight checks, before a deploy, the (cloud, region, image, instance type) pairings and
//! custom-image creations in plan files against what the clouds say.
//!
//! The pipeline, one module per step:
//! ```text
//! paths ─▶ discover ─▶ plan::parse ─▶ facts (file; the clouds later) ─▶ checks + policy ─▶ report
//! ```
//! Parsing keeps every value's span; checks are pure functions of plans, facts and policy;
//! reporters render the findings. `pipeline` runs the steps; `settings` resolves what a run
//! is told; the language server (`lsp`) runs the same pipeline on open buffers. The library
//! never prints: the binary's `commands/` own the terminal. ARCHITECTURE.md maps every module
//! to its layer.

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod cache;
pub mod checks;
pub mod cli;
pub mod cloud;
pub mod clouds;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod error;
pub mod exit;
pub mod facts;
pub mod files;
pub mod fix;
pub mod globs;
pub mod lsp;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod report;
pub mod settings;
pub mod source;
pub mod suggest;
pub mod terraform;
pub mod text;
pub mod yaml;

pub use files::io_reason;
pub use pipeline::{
    ValidateOptions, Validated, check, exit_code, fetch_facts, places_of, today, validate,
    validate_all,
};
