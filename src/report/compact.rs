//! `--format compact`: one line per finding, `file:line:col: severity [rule] message`, the
//! shape editors and `grep` understand. Input errors use the same shape with their code.

use std::io::{self, Write};

use super::{Report, plural};

pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for e in &report.errors {
        let place = match (e.file(), e.position()) {
            (Some(f), Some(p)) => format!("{f}:{}:{}: ", p.line, p.column),
            (Some(f), None) => format!("{f}: "),
            _ => String::new(),
        };
        writeln!(out, "{place}error [{}] {}", e.code(), one_line(e.message()))?;
    }
    // One module called from two roots (or two Terragrunt units) gives the same line twice:
    // such lines say which plan each is from.
    let plans = super::plans_to_name(report);
    for (d, plan) in report.diagnostics.iter().zip(plans) {
        let p = d.file.position(d.span.offset());
        let from = plan.map(|p| format!(" (plan {p})")).unwrap_or_default();
        writeln!(
            out,
            "{}:{}:{}: {} [{}] {}{from}",
            d.file.name(),
            p.line,
            p.column,
            d.severity,
            d.rule,
            one_line(&d.message)
        )?;
    }
    if report.errors.is_empty() {
        let s = report.summary();
        writeln!(
            out,
            "{}, {}, {}, {} unverified, {} suppressed{} in {} ({})",
            plural(s.errors, "error", "errors"),
            plural(s.warnings, "warning", "warnings"),
            plural(s.notes, "note", "notes"),
            crate::text::thousands(s.unverified),
            crate::text::thousands(s.suppressed),
            if s.baselined > 0 {
                format!(", {} in the baseline", crate::text::thousands(s.baselined))
            } else {
                String::new()
            },
            plural(s.plans, "plan", "plans"),
            plural(s.pairings, "pairing", "pairings"),
        )?;
    }
    Ok(())
}

fn one_line(message: &str) -> String {
    message.replace(['\n', '\r'], " ")
}
