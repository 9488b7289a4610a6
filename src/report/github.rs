//! `--format github`: GitHub Actions workflow commands, one per finding, so findings appear
//! as annotations on the pull request; and, when `GITHUB_STEP_SUMMARY` is set, a summary
//! table for the job page. Escaping follows actions/toolkit: `%`, `\r`, `\n` in messages, and
//! also `:` and `,` in property values; paths are relative to the repository root, as
//! annotations need them. The summary escapes Markdown and HTML in every cell.

use std::io::{self, Write};

use super::{Report, markdown};
use crate::diagnostic::Severity;

/// GitHub shows at most this many annotations of each kind (error, warning, notice) per step;
/// the rest would be lost, so they are written as plain log lines and counted.
pub const ANNOTATIONS_PER_KIND: usize = 10;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut shown = std::collections::HashMap::<&str, usize>::new();
    let mut unshown = 0usize;
    let mut annotate = |command: &'static str| {
        let n = shown.entry(command).or_default();
        *n += 1;
        let fits = *n <= ANNOTATIONS_PER_KIND;
        if !fits {
            unshown += 1;
        }
        fits
    };
    // Properties in the order `@actions/core` writes them: title, file, line, endLine, col,
    // endColumn.
    for e in &report.errors {
        let mut props = vec![format!("title={}", property(e.code()))];
        if let Some(f) = e.file() {
            props.push(format!("file={}", property(&report.repo_path(f))));
        }
        if let Some(p) = e.position() {
            props.push(format!("line={}", p.line));
            props.push(format!("col={}", p.column));
        }
        if annotate("error") {
            writeln!(out, "::error {}::{}", props.join(","), data(e.message()))?;
        } else {
            writeln!(out, "preflight: error: {}", e.message().replace('\n', " "))?;
        }
    }
    // The most severe first, so the annotations GitHub keeps are the errors. A finding that
    // reads the same as another (one module from two roots) names its plan.
    let plans = super::plans_to_name(report);
    let mut ordered: Vec<(&crate::diagnostic::Diagnostic, Option<&str>)> =
        report.diagnostics.iter().zip(plans).collect();
    ordered.sort_by_key(|(d, _)| match (d.unverified, d.severity) {
        (false, Severity::Error) => 0,
        (false, Severity::Note) => 2,
        _ => 1,
    });
    for (d, plan) in ordered {
        let from = plan.map(|p| format!(" (plan {p})")).unwrap_or_default();
        let (start, end) = d.file.range(d.span);
        let command = match (d.unverified, d.severity) {
            (false, Severity::Error) => "error",
            (false, Severity::Note) => "notice",
            _ => "warning",
        };
        let message = match &d.help {
            Some(h) => format!("{}{from}\n{h}", d.message),
            None => format!("{}{from}", d.message),
        };
        if !annotate(command) {
            // Past GitHub's limit: still in the log, one line, and in the job summary.
            writeln!(
                out,
                "{}:{}:{}: {command} [{}] {}{from}",
                report.repo_path(d.file.name()),
                start.line,
                start.column,
                d.rule,
                d.message.replace(['\r', '\n'], " ")
            )?;
            continue;
        }
        writeln!(
            out,
            "::{command} title={},file={},line={},endLine={},col={},endColumn={}::{}",
            property(&format!("preflight: {}", d.rule)),
            property(&report.repo_path(d.file.name())),
            start.line,
            end.line,
            start.column,
            end.column,
            data(&message)
        )?;
    }
    for n in &report.notices {
        if annotate("notice") {
            writeln!(out, "::notice title=preflight::{}", data(n))?;
        } else {
            writeln!(out, "preflight: note: {}", n.replace(['\r', '\n'], " "))?;
        }
    }
    if unshown > 0 {
        // Said as a plain line: the notice budget may be spent too.
        writeln!(
            out,
            "preflight: {} more not annotated (GitHub shows at most {ANNOTATIONS_PER_KIND} errors, {ANNOTATIONS_PER_KIND} warnings and {ANNOTATIONS_PER_KIND} notices per step); they are above in this log and in the job summary",
            crate::text::thousands(unshown)
        )?;
    }
    Ok(())
}

/// Message data: `%`, `\r`, `\n`.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Property values: as data, plus `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Markdown for `$GITHUB_STEP_SUMMARY`: the same report as `--format markdown`.
pub fn write_step_summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if let Some(escaped) = report.escaped() {
        return write_step_summary(&escaped, out);
    }
    markdown::write_within(
        report,
        markdown::STEP_SUMMARY_BYTES,
        "the job summary (1 MiB)",
        out,
    )?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_actions_toolkit_does() {
        assert_eq!(data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
