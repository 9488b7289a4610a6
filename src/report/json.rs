//! `--format json`: one object, stable for scripts (product contract §5). Lines and columns are
//! 1-based; columns count characters; `end_column` is exclusive, as in SARIF.

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, Summary};
use crate::diagnostic::Severity;

/// The version of this JSON shape.
const VERSION: u32 = 1;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    summary: Summary,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    errors: Vec<JsonError<'a>>,
    notices: &'a [String],
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    #[serde(flatten)]
    at: Place<'a>,
    cloud: &'a str,
    region: &'a str,
    image: Option<&'a str>,
    instance_type: Option<&'a str>,
    /// Where the instances land (the zone written, or its vSwitch's); null when not known.
    zone: Option<&'a str>,
    /// `postpaid`, `prepaid` or `spot` for instance entries; null otherwise.
    charge_type: Option<&'a str>,
    entry: &'a str,
    help: Option<&'a str>,
    /// Where a value the finding is about was set, in another file (a Terraform variable's
    /// default or tfvars line). Left out when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated<'a>>,
    /// Edits that would make the finding go (`--fix` applies the safe ones). Left out when
    /// there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    #[serde(flatten)]
    at: Place<'a>,
    replacement: &'a str,
    safe: bool,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    #[serde(flatten)]
    at: Place<'a>,
}

/// A span as scripts read it: file, 1-based lines, character columns, exclusive end.
#[derive(Serialize)]
struct Place<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

impl<'a> Place<'a> {
    fn of(file: &'a crate::source::SourceFile, span: miette::SourceSpan) -> Self {
        let (start, end) = file.range(span);
        Place {
            file: file.name(),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
        }
    }
}

#[derive(Serialize)]
struct JsonError<'a> {
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    code: &'a str,
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated<'a>>,
}

pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let diagnostics = report
        .diagnostics
        .iter()
        .map(|d| JsonDiagnostic {
            rule: &d.rule,
            severity: d.severity,
            message: &d.message,
            at: Place::of(&d.file, d.span),
            cloud: &d.cloud,
            region: &d.region,
            image: d.image.as_deref(),
            instance_type: d.instance_type.as_deref(),
            zone: d.zone.as_deref(),
            charge_type: d.charge_type.as_deref(),
            entry: &d.entry,
            help: d.help.as_deref(),
            // The places the finding involves: beside it in its own file (the vSwitch line
            // that decides the zone), then in other files (a tfvars line).
            related: d
                .related
                .iter()
                .map(|(span, label)| JsonRelated {
                    message: label,
                    at: Place::of(&d.file, *span),
                })
                .chain(
                    d.elsewhere
                        .iter()
                        .filter(|(file, _, _)| file.is_file())
                        .map(|(file, span, label)| JsonRelated {
                            message: label,
                            at: Place::of(file, *span),
                        }),
                )
                .collect(),
            fixes: d
                .fixes
                .iter()
                .map(|f| JsonFix {
                    title: &f.title,
                    at: Place::of(&d.file, f.span),
                    replacement: &f.replacement,
                    safe: f.safe,
                })
                .collect(),
        })
        .collect();
    let errors = report
        .errors
        .iter()
        .map(|e| JsonError {
            message: e.message(),
            file: e.file(),
            line: e.position().map(|p| p.line),
            column: e.position().map(|p| p.column),
            code: e.code(),
            help: e.help_text(),
            related: e
                .also()
                .iter()
                .map(|a| JsonRelated {
                    message: &a.label,
                    at: Place::of(&a.file, a.span),
                })
                .collect(),
        })
        .collect();
    let output = Output {
        version: VERSION,
        summary: report.summary(),
        diagnostics,
        errors,
        notices: &report.notices,
    };
    serde_json::to_writer_pretty(&mut *out, &output).map_err(io::Error::other)?;
    writeln!(out)
}
