//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning. The driver lists every rule with
//! its documentation; findings are results with a region (1-based lines, columns in Unicode
//! code points, said explicitly by `columnKind`, plus byte offset and length). Unverified
//! pairings and input errors are tool notifications, not results: they are not problems in
//! the code, but the run's own shortcomings.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    invocations: [Invocation<'a>; 1],
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    short_description: Text<'a>,
    full_description: Text<'a>,
    help: Help<'a>,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Help<'a> {
    text: &'a str,
    markdown: &'a str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: [Location<'a>; 1],
    /// Where a value the finding is about was set (a Terraform variable's default).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation<'a> {
    id: usize,
    physical_location: PhysicalLocation<'a>,
    message: Message,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: PhysicalLocation<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    artifact_location: ArtifactLocation<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation<'a> {
    uri: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
    byte_offset: usize,
    byte_length: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification<'a> {
    level: &'static str,
    message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location<'a>>,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn location<'a>(file: &'a SourceFile, d: &Diagnostic) -> Location<'a> {
    Location {
        physical_location: physical(file, d.span),
    }
}

fn physical(file: &SourceFile, span: miette::SourceSpan) -> PhysicalLocation<'_> {
    let (start, end) = file.range(span);
    PhysicalLocation {
        artifact_location: ArtifactLocation { uri: file.name() },
        region: Some(Region {
            start_line: start.line,
            start_column: start.column,
            end_line: end.line,
            end_column: end.column,
            byte_offset: span.offset(),
            byte_length: span.len(),
        }),
    }
}

/// Places in other files (same-file labels are in the snippet already).
fn related(d: &Diagnostic) -> Vec<RelatedLocation<'_>> {
    d.elsewhere
        .iter()
        .filter(|(file, _, _)| file.is_file())
        .enumerate()
        .map(|(id, (file, span, label))| RelatedLocation {
            id,
            physical_location: physical(file, *span),
            message: Message {
                text: label.clone(),
            },
        })
        .collect()
}

fn with_help(d: &Diagnostic) -> String {
    match &d.help {
        Some(h) => format!("{} ({h})", d.message),
        None => d.message.clone(),
    }
}

pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Rule> = report
        .rules
        .iter()
        .map(|r| Rule {
            id: &r.id,
            short_description: Text { text: &r.summary },
            full_description: Text { text: &r.summary },
            help: Help {
                text: &r.doc,
                markdown: &r.doc,
            },
            default_configuration: Configuration {
                level: level(r.severity),
            },
        })
        .collect();
    let index = |id: &str| report.rules.iter().position(|r| r.id == id).unwrap_or(0);
    let results = report
        .diagnostics
        .iter()
        .filter(|d| !d.unverified)
        .map(|d| SarifResult {
            rule_id: &d.rule,
            rule_index: index(&d.rule),
            level: level(d.severity),
            message: Message { text: with_help(d) },
            locations: [location(&d.file, d)],
            related_locations: related(d),
        })
        .collect();
    let mut notifications: Vec<Notification> = report
        .errors
        .iter()
        .map(|e| Notification {
            level: "error",
            message: Message {
                text: match (e.file(), e.position()) {
                    (Some(f), Some(p)) => format!("{f}:{}:{}: {}", p.line, p.column, e.message()),
                    (Some(f), None) => format!("{f}: {}", e.message()),
                    _ => e.message().to_string(),
                },
            },
            locations: Vec::new(),
        })
        .collect();
    notifications.extend(report.diagnostics.iter().filter(|d| d.unverified).map(|d| {
        Notification {
            level: "warning",
            message: Message {
                text: format!("unverified: {}", d.message),
            },
            locations: vec![location(&d.file, d)],
        }
    }));
    notifications.extend(report.notices.iter().map(|n| Notification {
        level: "note",
        message: Message { text: n.clone() },
        locations: Vec::new(),
    }));
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "preflight",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            column_kind: "unicodeCodePoints",
            results,
            invocations: [Invocation {
                execution_successful: report.errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    writeln!(out)
}
