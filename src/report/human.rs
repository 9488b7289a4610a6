//! The terminal format: each finding as a miette diagnostic with the plan snippet, then the
//! notices and a one-line summary. Colour only on a terminal and without `NO_COLOR`.

use std::fmt;
use std::io::{self, Write};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, ReportHandler};

use super::{Report, plural};
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::InputError;
use crate::source::Elsewhere;

/// How to draw: decided once by the caller from the terminal and environment.
#[derive(Debug, Clone, Copy)]
pub struct HumanStyle {
    pub color: bool,
    pub width: usize,
}

impl HumanStyle {
    fn handler(&self) -> GraphicalReportHandler {
        let theme = if self.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        // Ids, paths and commands are never broken: no splitting at hyphens, and a word
        // longer than the line runs past it rather than being cut.
        GraphicalReportHandler::new_themed(theme)
            .with_width(self.width)
            .with_break_words(false)
            .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
            .with_links(false)
    }
}

pub(super) fn write(report: &Report, style: &HumanStyle, out: &mut dyn Write) -> io::Result<()> {
    let handler = style.handler();
    // One block per cause: the pairings a missing fact leaves unverified for one reason are
    // named in one finding (at the first of them), not one paragraph each.
    // Per file: the snippet shown is the first pairing's, in the file it names.
    type Key<'a> = (&'a str, &'a str, Option<&'a str>);
    fn key(d: &Diagnostic) -> Option<Key<'_>> {
        unverified_reason(d).map(|reason| (d.file.name(), reason, d.help.as_deref()))
    }
    let mut groups: std::collections::HashMap<Key, Vec<usize>> = std::collections::HashMap::new();
    for (i, d) in report.diagnostics.iter().enumerate() {
        if let Some(k) = key(d) {
            groups.entry(k).or_default().push(i);
        }
    }
    for (i, d) in report.diagnostics.iter().enumerate() {
        let group = key(d).and_then(|k| groups.get(&k).map(|g| (k.1, g)));
        match group {
            Some((reason, members)) if members.len() > 1 => {
                if members[0] != i {
                    continue;
                }
                let names: Vec<&str> = members
                    .iter()
                    .map(|&j| report.diagnostics[j].entry.as_str())
                    .collect();
                let mut grouped = d.clone();
                grouped.message = format!(
                    "could not check {} pairings ({}): {reason}",
                    crate::text::thousands(names.len()),
                    listed(&names)
                );
                render(&handler, &Finding::new(&grouped), out)?;
            }
            _ => render(&handler, &Finding::new(d), out)?,
        }
    }
    for notice in &report.notices {
        writeln!(out, "note: {notice}")?;
    }
    writeln!(out, "{}", summary_line(report))
}

/// The reason of an `unverified` finding about one pairing ("could not check `web`: …").
fn unverified_reason(d: &Diagnostic) -> Option<&str> {
    d.cause.as_deref().filter(|_| d.unverified)
}

/// `a`, `b`, `c`, `d`, `e` and 579 more.
fn listed(names: &[&str]) -> String {
    let shown: Vec<String> = names.iter().take(5).map(|n| format!("`{n}`")).collect();
    if names.len() > 5 {
        format!(
            "{} and {} more",
            shown.join(", "),
            crate::text::thousands(names.len() - 5)
        )
    } else {
        shown.join(", ")
    }
}

pub(super) fn write_errors(
    errors: &[InputError],
    style: &HumanStyle,
    out: &mut dyn Write,
) -> io::Result<()> {
    let handler = style.handler();
    for e in errors {
        render(&handler, e, out)?;
    }
    Ok(())
}

fn render(
    handler: &GraphicalReportHandler,
    diagnostic: &dyn miette::Diagnostic,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut text = String::new();
    struct Render<'a>(&'a GraphicalReportHandler, &'a dyn miette::Diagnostic);
    impl fmt::Display for Render<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.debug(self.1, f)
        }
    }
    fmt::write(&mut text, format_args!("{}", Render(handler, diagnostic)))
        .map_err(|_| io::Error::other("could not render a diagnostic"))?;
    writeln!(out, "{}", text.trim_end())?;
    writeln!(out)
}

/// `Found 3 problems (2 errors, 1 warning) and 1 unverified pairing in 2 plans …`
fn summary_line(report: &Report) -> String {
    let s = report.summary();
    let problems = s.errors + s.warnings + s.notes;
    let mut parts = Vec::new();
    for (n, one, many) in [
        (s.errors, "error", "errors"),
        (s.warnings, "warning", "warnings"),
        (s.notes, "note", "notes"),
    ] {
        if n > 0 {
            parts.push(plural(n, one, many));
        }
    }
    let scope = format!(
        "{} in {}",
        plural(s.pairings, "pairing", "pairings"),
        plural(s.plans, "plan", "plans")
    );
    let mut line = if problems == 0 && s.unverified == 0 && report.cases.is_empty() {
        // Not a pass: there was nothing to look at.
        format!(
            "Nothing to check: no pairings or images in {}",
            plural(s.plans, "plan", "plans")
        )
    } else if problems == 0 && s.unverified == 0 {
        // "All 1 pairing" reads as a slip: one is just one.
        if s.pairings == 1 {
            format!("{scope} passed")
        } else {
            format!("All {scope} passed")
        }
    } else if problems == 0 {
        format!(
            "No problems found in {scope}, but {} could not be made (unverified)",
            plural(s.unverified, "check", "checks")
        )
    } else {
        let mut line = format!(
            "Found {} ({}) in {scope}",
            plural(problems, "problem", "problems"),
            parts.join(", ")
        );
        if s.unverified > 0 {
            line.push_str(&format!(
                "; {} unverified",
                crate::text::thousands(s.unverified)
            ));
        }
        line
    };
    if s.suppressed > 0 {
        line.push_str(&format!(
            "; {} suppressed",
            crate::text::thousands(s.suppressed)
        ));
    }
    if s.baselined > 0 {
        line.push_str(&format!(
            "; {} in the baseline",
            crate::text::thousands(s.baselined)
        ));
    }
    let safe = report
        .diagnostics
        .iter()
        .filter(|d| d.fixes.iter().any(|f| f.safe))
        .count();
    let unsafe_only = report
        .diagnostics
        .iter()
        .filter(|d| !d.fixes.is_empty() && d.fixes.iter().all(|f| !f.safe))
        .count();
    if safe > 0 {
        line.push_str(&format!(
            "; {} fixable with --fix",
            crate::text::thousands(safe)
        ));
    }
    if unsafe_only > 0 {
        line.push_str(&format!(
            "; {} {} with --fix --unsafe-fixes",
            crate::text::thousands(unsafe_only),
            if safe > 0 { "more" } else { "fixable" }
        ));
    }
    line.push('.');
    line
}

/// A finding as miette sees it; places in other files become related advice.
struct Finding<'a>(&'a Diagnostic, Vec<Elsewhere>);

impl<'a> Finding<'a> {
    fn new(d: &'a Diagnostic) -> Self {
        let elsewhere = d
            .elsewhere
            .iter()
            .map(|(file, span, label)| Elsewhere {
                file: file.clone(),
                span: *span,
                label: label.clone(),
            })
            .collect();
        Finding(d, elsewhere)
    }
}

impl fmt::Debug for Finding<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Finding<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Finding<'_> {}

impl miette::Diagnostic for Finding<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.0.rule))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.0.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self.0.file.text_source())
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let d = self.0;
        let primary = LabeledSpan::new_primary_with_span(Some(d.label.clone()), d.span);
        let related = d
            .related
            .iter()
            .map(|(span, label)| LabeledSpan::new_with_span(Some(label.clone()), *span));
        Some(Box::new(std::iter::once(primary).chain(related)))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.1.is_empty() {
            return None;
        }
        Some(Box::new(
            self.1.iter().map(|e| e as &dyn miette::Diagnostic),
        ))
    }
}
