//! Renders the outcome of a run. One file per format; each writes to any `impl Write` and
//! never decides exit codes.

mod compact;
mod human;
mod json;

use std::io::{self, Write};

use crate::diagnostic::{Diagnostic, Severity};
use crate::error::InputError;

pub use human::HumanStyle;

/// Output formats of `validate --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// miette diagnostics with source snippets, then a summary line.
    Human,
    /// One JSON object (see the README for its fields).
    Json,
    /// One line per finding: `file:line:col: severity [rule] message`.
    Compact,
}

/// Everything a run produced.
#[derive(Debug, Default)]
pub struct Report {
    pub plans: usize,
    pub pairings: usize,
    /// Shown findings, in file, line and column order.
    pub diagnostics: Vec<Diagnostic>,
    pub suppressed: usize,
    /// Said once: what the clouds cannot tell us.
    pub notices: Vec<String>,
    /// Input errors: when any exist, nothing was checked.
    pub errors: Vec<InputError>,
    /// HTTP requests sent to the clouds (retries included).
    pub requests: usize,
    /// Answers taken from the cache instead of the clouds.
    pub cache_hits: usize,
}

/// The counts every format prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub plans: usize,
    pub pairings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub unverified: usize,
    pub suppressed: usize,
}

impl Report {
    pub fn summary(&self) -> Summary {
        let count = |s: Severity| {
            self.diagnostics
                .iter()
                .filter(|d| !d.unverified && d.severity == s)
                .count()
        };
        Summary {
            plans: self.plans,
            pairings: self.pairings,
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            notes: count(Severity::Note),
            unverified: self.diagnostics.iter().filter(|d| d.unverified).count(),
            suppressed: self.suppressed,
        }
    }

    /// Orders findings the way a reader scans them: by file, then position, then rule.
    pub fn sort(&mut self) {
        self.diagnostics.sort_by(|a, b| {
            (a.file.name(), a.span.offset(), &a.rule).cmp(&(
                b.file.name(),
                b.span.offset(),
                &b.rule,
            ))
        });
    }

    /// Writes the report in `format`. Input errors are part of the json and compact outputs;
    /// for human output the caller prints them to stderr (`write_errors`).
    pub fn write(&self, format: Format, style: &HumanStyle, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Human => human::write(self, style, out),
            Format::Json => json::write(self, out),
            Format::Compact => compact::write(self, out),
        }
    }

    /// Input errors as miette diagnostics, for stderr, then "nothing was checked".
    pub fn write_errors(&self, style: &HumanStyle, out: &mut dyn Write) -> io::Result<()> {
        human::write_errors(&self.errors, style, out)?;
        writeln!(
            out,
            "preflight: {}; nothing was checked",
            plural(self.errors.len(), "input error", "input errors")
        )
    }

    /// Input errors alone, for commands that check nothing (`explain`, `rules`).
    pub fn write_errors_only(&self, style: &HumanStyle, out: &mut dyn Write) -> io::Result<()> {
        human::write_errors(&self.errors, style, out)
    }
}

/// `1 error`, `2 errors`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
