//! Renders the outcome of a run. One file per format; each writes to any `impl Write` and
//! never decides exit codes.

mod baseline;
mod compact;
mod escape;
mod github;
mod human;
mod json;
mod junit;
mod markdown;
mod paths;
mod sarif;

use std::io::{self, Write};

use crate::diagnostic::{Diagnostic, Severity};
use crate::error::InputError;

pub use baseline::{Baseline, Identity};
pub use github::write_step_summary;
pub use human::HumanStyle;
pub use paths::{Root, file_uri};

/// What decides the run's exit code, for the reports that mirror it (JUnit).
#[derive(Debug, Clone, Copy)]
pub struct Gate {
    pub fail_on: Severity,
    pub allow_unverified: bool,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            fail_on: Severity::Error,
            allow_unverified: false,
        }
    }
}

impl Gate {
    /// Whether the finding fails the run (exit 1).
    pub fn fails(&self, d: &Diagnostic) -> bool {
        !d.unverified && d.severity >= self.fail_on
    }

    /// Whether the unverified finding fails the run when nothing else does (exit 3).
    pub fn blocks(&self, d: &Diagnostic) -> bool {
        d.unverified && !self.allow_unverified
    }
}

/// Output formats of `validate --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// miette diagnostics with source snippets, then a summary line.
    Human,
    /// One JSON object (see the README for its fields).
    Json,
    /// One line per finding: `file:line:col: severity [rule] message`.
    Compact,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML: one test case per pairing, a test suite per plan file (GitLab, Jenkins).
    Junit,
    /// GitHub Actions workflow commands (`::error file=…::…`), one per finding.
    Github,
    /// Markdown for a pull-request or merge-request comment: a summary and a findings table.
    Markdown,
}

/// A rule as the SARIF driver lists it.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub id: String,
    pub summary: String,
    /// Markdown documentation.
    pub doc: String,
    pub severity: Severity,
}

/// One checked entry of a plan: an instance (a pairing) or a custom-image entry.
#[derive(Debug, Clone)]
pub struct Case {
    /// The plan it is in (a YAML plan, a Terraform plan JSON or root module).
    pub plan: String,
    /// The file it is written in (for Terraform, maybe a module's).
    pub file: String,
    pub entry: String,
    /// 1-based line where the entry starts; findings name it in `entry_line`.
    pub line: usize,
    /// What was checked, for people: `img-1 on g.n4.xlarge in jdcloud cn-north-1`.
    pub title: String,
}

/// Which entry a finding is about: file, entry line, entry name.
pub type EntryKey<'a> = (&'a str, usize, &'a str);

/// One plan read: as named (a plan file, a plan JSON, a Terraform root module), the tool that
/// wrote it (plan JSON), and the other files it read (`.tf` files, tfvars).
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub path: String,
    pub written_by: Option<String>,
    pub files: Vec<String>,
}

/// Everything a run produced.
#[derive(Debug, Default)]
pub struct Report {
    pub plans: usize,
    /// Every plan read, for `-v` and SARIF's category.
    pub inputs: Vec<Input>,
    pub pairings: usize,
    /// Shown findings, in file, line and column order.
    pub diagnostics: Vec<Diagnostic>,
    pub suppressed: usize,
    /// Findings `--baseline` accepted: counted, not shown.
    pub baselined: usize,
    /// Said once: what the clouds cannot tell us.
    pub notices: Vec<String>,
    /// Input errors: when any exist, nothing was checked.
    pub errors: Vec<InputError>,
    /// HTTP requests sent to the clouds (retries included).
    pub requests: usize,
    /// Answers taken from the cache instead of the clouds.
    pub cache_hits: usize,
    /// What went wrong beside the checks (the cache), for stderr: never part of a report.
    pub warnings: Vec<String>,
    /// Every rule that could report (built-in and from rule files), for SARIF.
    pub rules: Vec<RuleInfo>,
    /// Every entry checked, in plan order, for JUnit.
    pub cases: Vec<Case>,
    /// `--fail-on` and `--allow-unverified`.
    pub gate: Gate,
    /// Where SARIF, GitHub and JUnit paths are relative to; `None`: as shown.
    pub root: Option<Root>,
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
    /// Findings the baseline accepts (`--baseline`), not shown.
    pub baselined: usize,
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
            baselined: self.baselined,
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

    /// Applies the config's `severity:` overrides to findings and rule descriptions.
    pub fn override_severities(
        &mut self,
        overrides: &std::collections::BTreeMap<String, Severity>,
    ) {
        for d in self.diagnostics.iter_mut().filter(|d| !d.unverified) {
            if let Some(s) = overrides.get(&d.rule) {
                d.severity = *s;
            }
        }
        for r in &mut self.rules {
            if let Some(s) = overrides.get(&r.id) {
                r.severity = *s;
            }
        }
    }

    /// Every finding, by the entry it is about (file, entry line, entry name: the instances
    /// of one Terraform block share a line): one pass, so reports that go entry by entry stay
    /// linear on large plans.
    pub fn findings_by_entry(&self) -> std::collections::HashMap<EntryKey<'_>, Vec<&Diagnostic>> {
        let mut map: std::collections::HashMap<EntryKey<'_>, Vec<&Diagnostic>> =
            std::collections::HashMap::new();
        for d in &self.diagnostics {
            map.entry((d.file.name(), d.entry_line, d.entry.as_str()))
                .or_default()
                .push(d);
        }
        map
    }

    /// A file as CI systems link it: relative to the repository root; absolute when it lies
    /// outside the root; as shown when there is no root.
    pub fn repo_path(&self, shown: &str) -> String {
        match &self.root {
            Some(root) => root
                .relative(shown)
                .unwrap_or_else(|| root.absolute_of(shown).display().to_string()),
            None => shown.to_string(),
        }
    }

    /// Writes the report in `format`. Input errors are part of the machine formats;
    /// for human output the caller prints them to stderr (`write_errors`).
    pub fn write(&self, format: Format, style: &HumanStyle, out: &mut dyn Write) -> io::Result<()> {
        let text_format = matches!(
            format,
            Format::Human | Format::Compact | Format::Github | Format::Markdown
        );
        if text_format && let Some(escaped) = self.escaped() {
            return escaped.write_as_is(format, style, out);
        }
        self.write_as_is(format, style, out)
    }

    fn write_as_is(
        &self,
        format: Format,
        style: &HumanStyle,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        match format {
            Format::Human => human::write(self, style, out),
            Format::Json => json::write(self, out),
            Format::Compact => compact::write(self, out),
            Format::Sarif => sarif::write(self, out),
            Format::Junit => junit::write(self, out),
            Format::Github => github::write(self, out),
            Format::Markdown => markdown::write(self, out),
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

/// For each finding, the plan to name beside it: only where another finding reads the same
/// (file, place, rule, message), as one module called from two roots or two Terragrunt units
/// gives it.
fn plans_to_name(report: &Report) -> Vec<Option<&str>> {
    let key = |d: &'_ crate::diagnostic::Diagnostic| {
        (
            d.file.name().to_string(),
            d.span.offset(),
            d.rule.clone(),
            d.message.clone(),
        )
    };
    let mut seen: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
    for d in &report.diagnostics {
        *seen.entry(key(d)).or_default() += 1;
    }
    report
        .diagnostics
        .iter()
        .map(|d| d.plan.as_deref().filter(|_| seen[&key(d)] > 1))
        .collect()
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        crate::text::thousands(n),
        if n == 1 { one } else { many }
    )
}
