//! `--format markdown`: a report for a pull-request or merge-request comment (a summary line,
//! a table of findings, collapsible sections for unverified pairings and notes), and the
//! escaping every Markdown output shares. Everything from a plan or a rule file is text to
//! GitHub's and GitLab's Markdown, never markup: table cells escape `|`, Markdown and HTML;
//! the code spans in preflight's own messages stay code spans.

use std::io::{self, Write};

use super::{Report, plural};
use crate::diagnostic::Diagnostic;

/// Comments are cut short past this (GitHub refuses bodies over 65,536 characters).
pub const COMMENT_CHARS: usize = 60_000;

/// A job summary is cut short past this (GitHub drops a step's summary over 1 MiB).
pub const STEP_SUMMARY_BYTES: usize = 1_000_000;

/// The first line of every Markdown report, hidden when rendered: a workflow finds its own
/// earlier comment by it and updates it instead of posting another.
pub const MARKER: &str = "<!-- preflight-report -->";

/// Text in a table cell: one line, every ASCII punctuation character that Markdown or HTML
/// could read escaped; `` `a` `` spans become code spans.
pub fn text(s: &str) -> String {
    let flat = s.replace(['\r', '\n'], " ");
    let parts: Vec<&str> = flat.split('`').collect();
    // An odd number of parts means the backticks pair up.
    if parts.len() % 2 == 1 {
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| if i % 2 == 1 { code(p) } else { escape(p) })
            .collect()
    } else {
        escape(&flat)
    }
}

/// A code span fit for a table cell: fenced by more backticks than it holds, `|` escaped.
pub fn code(s: &str) -> String {
    let flat = s.replace(['\r', '\n'], " ");
    let longest = flat.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", flat.replace('|', "\\|"))
}

/// Backslash-escapes what could start markup inside a table cell: emphasis, links and images
/// (`[`), HTML and autolinks (`<`), entities (`&`), strikethrough, math (`$`), the cell's own
/// `|`, and the backslash itself. What matters only at a line's start (`#`, `-`, `+`) cannot
/// occur there in a cell.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '$'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_within(report, COMMENT_CHARS, "a comment", out)
}

/// The report in at most `limit` bytes (what does not fit is counted, and said to be in the
/// job's log); `fit` names what it must fit.
pub(super) fn write_within(
    report: &Report,
    limit: usize,
    fit: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut md = String::new();
    let s = report.summary();
    md.push_str(MARKER);
    md.push_str("\n### preflight\n\n");
    if !report.errors.is_empty() {
        md.push_str(&format!(
            "**The run failed**: {}; nothing was checked.\n\n| where | problem |\n|---|---|\n",
            plural(report.errors.len(), "input error", "input errors")
        ));
        for e in &report.errors {
            let place = match (e.file(), e.position()) {
                (Some(f), Some(p)) => format!("{}:{}", report.repo_path(f), p.line),
                (Some(f), None) => report.repo_path(f),
                (None, _) => "input".to_string(),
            };
            md.push_str(&format!("| {} | {} |\n", code(&place), text(e.message())));
        }
        return out.write_all(md.as_bytes());
    }
    let findings: Vec<&Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| !d.unverified)
        .collect();
    let unverified: Vec<&Diagnostic> = report.diagnostics.iter().filter(|d| d.unverified).collect();
    let verdict = if findings.iter().any(|d| report.gate.fails(d)) {
        "❌"
    } else if unverified.iter().any(|d| report.gate.blocks(d)) {
        "⚠️"
    } else {
        "✅"
    };
    md.push_str(&format!(
        "{verdict} {}, {}, {} in {} in {}; {} unverified, {} suppressed.\n\n",
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
        plural(s.notes, "note", "notes"),
        plural(s.pairings, "pairing", "pairings"),
        plural(s.plans, "plan", "plans"),
        s.unverified,
        s.suppressed
    ));
    let mut left_out = 0;
    if !findings.is_empty() {
        md.push_str("| severity | rule | where | message |\n|---|---|---|---|\n");
        for d in &findings {
            let row = format!(
                "| {} | {} | {} | {} |\n",
                d.severity.as_str(),
                code(&d.rule),
                code(&place(report, d)),
                text(&d.message_and_help())
            );
            if md.len() + row.len() > limit {
                left_out += 1;
            } else {
                md.push_str(&row);
            }
        }
        md.push('\n');
    }
    if !unverified.is_empty() {
        md.push_str(&format!(
            "<details><summary>{} could not be checked</summary>\n\n| where | reason |\n|---|---|\n",
            plural(unverified.len(), "pairing", "pairings")
        ));
        for d in &unverified {
            let row = format!("| {} | {} |\n", code(&place(report, d)), text(&d.message));
            if md.len() + row.len() > limit {
                left_out += 1;
            } else {
                md.push_str(&row);
            }
        }
        md.push_str("\n</details>\n\n");
    }
    if s.baselined > 0 {
        md.push_str(&format!(
            "{} in the baseline (`--baseline`) are not shown.\n\n",
            plural(s.baselined, "finding", "findings")
        ));
    }
    if s.suppressed > 0 || !report.notices.is_empty() {
        md.push_str("<details><summary>Notes</summary>\n\n");
        if s.suppressed > 0 {
            md.push_str(&format!(
                "- {} suppressed by `preflight-ignore` comments.\n",
                plural(s.suppressed, "finding was", "findings were")
            ));
        }
        for n in &report.notices {
            md.push_str(&format!("- {}\n", text(n)));
        }
        md.push_str("\n</details>\n\n");
    }
    if left_out > 0 {
        md.push_str(&format!(
            "{} more left out to fit {fit}; the job's log has them all.\n",
            plural(left_out, "finding", "findings")
        ));
    }
    out.write_all(md.trim_end().as_bytes())?;
    writeln!(out)
}

/// `file:line`, the file relative to the repository root.
fn place(report: &Report, d: &Diagnostic) -> String {
    format!(
        "{}:{}",
        report.repo_path(d.file.name()),
        d.file.position(d.span.offset()).line
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table_or_carry_markup() {
        assert_eq!(text("a | b"), "a \\| b");
        assert_eq!(
            text("<img src=x onerror=alert(1)>"),
            "\\<img src=x onerror=alert(1)\\>"
        );
        assert_eq!(
            text("**bold** _it_ [l](u) $x$"),
            "\\*\\*bold\\*\\* \\_it\\_ \\[l\\](u) \\$x\\$"
        );
        assert_eq!(text("image `img|1` is gone"), "image `img\\|1` is gone");
        assert_eq!(text("one ` backtick"), "one \\` backtick");
        assert_eq!(text("two\nlines"), "two lines");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(text("&amp;"), "\\&amp;");
    }
}
