//! `--format github`: GitHub Actions workflow commands, one per finding, so findings appear
//! as annotations on the pull request; and, when `GITHUB_STEP_SUMMARY` is set, a summary
//! table for the job page. Escaping follows actions/toolkit: `%`, `\r`, `\n` in messages, and
//! also `:` and `,` in property values.

use std::io::{self, Write};

use super::Report;
use crate::diagnostic::Severity;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for e in &report.errors {
        let mut props = Vec::new();
        if let Some(f) = e.file() {
            props.push(format!("file={}", property(f)));
        }
        if let Some(p) = e.position() {
            props.push(format!("line={}", p.line));
            props.push(format!("col={}", p.column));
        }
        props.push(format!("title={}", property(e.code())));
        writeln!(out, "::error {}::{}", props.join(","), data(e.message()))?;
    }
    for d in &report.diagnostics {
        let (start, end) = d.file.range(d.span);
        let command = match (d.unverified, d.severity) {
            (false, Severity::Error) => "error",
            (false, Severity::Note) => "notice",
            _ => "warning",
        };
        let message = match &d.help {
            Some(h) => format!("{}\n{h}", d.message),
            None => d.message.clone(),
        };
        writeln!(
            out,
            "::{command} file={},line={},endLine={},col={},endColumn={},title={}::{}",
            property(d.file.name()),
            start.line,
            end.line,
            start.column,
            end.column,
            property(&format!("preflight: {}", d.rule)),
            data(&message)
        )?;
    }
    for n in &report.notices {
        writeln!(out, "::notice title=preflight::{}", data(n))?;
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

/// Markdown for `$GITHUB_STEP_SUMMARY`: the counts, then a row per finding.
pub fn write_step_summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = report.summary();
    writeln!(out, "### preflight\n")?;
    if !report.errors.is_empty() {
        writeln!(
            out,
            "The run failed: {} input error(s); nothing was checked.\n",
            report.errors.len()
        )?;
        for e in &report.errors {
            writeln!(
                out,
                "- `{}`: {}",
                e.file().unwrap_or("input"),
                cell(e.message())
            )?;
        }
        return writeln!(out);
    }
    writeln!(
        out,
        "{} pairing(s) in {} plan(s): **{} error(s)**, {} warning(s), {} note(s), {} unverified, {} suppressed.\n",
        s.pairings, s.plans, s.errors, s.warnings, s.notes, s.unverified, s.suppressed
    )?;
    if report.diagnostics.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "| severity | rule | where | message |\n|---|---|---|---|"
    )?;
    for d in &report.diagnostics {
        let p = d.file.position(d.span.offset());
        let severity = if d.unverified {
            "unverified"
        } else {
            d.severity.as_str()
        };
        writeln!(
            out,
            "| {severity} | `{}` | `{}:{}` | {} |",
            d.rule,
            d.file.name(),
            p.line,
            cell(&d.message)
        )?;
    }
    writeln!(out)
}

/// A table cell: no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
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
