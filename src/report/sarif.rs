//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning. The driver lists every rule with
//! its documentation; findings are results with a region (1-based lines, columns in Unicode
//! code points, said explicitly by `columnKind`, plus byte offset and length). Unverified
//! pairings are results too (rule `unverified`, level `warning`), so a job that failed for
//! them shows why; input errors are tool notifications, at their place.
//!
//! Paths are relative to the repository root through the `%SRCROOT%` base, whose
//! `originalUriBaseIds` entry is the root's `file://` URI; a file outside the root is an
//! absolute URI. Every URI is percent-encoded (RFC 3986). A run holds at most 25,000 results,
//! as GitHub takes no more (errors first); a notification counts the rest. Each result has a
//! `partialFingerprints` entry from its rule, file and entry, so an alert follows its pairing
//! when lines move.

use std::io::{self, Write};

use serde::Serialize;

use sha2::{Digest, Sha256};

use super::{Report, Root};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;

/// GitHub code scanning's limit of results per run.
pub const MAX_RESULTS: usize = 25_000;

/// The base that relative URIs are against.
const SRCROOT: &str = "%SRCROOT%";

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
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<BaseIds>,
    column_kind: &'static str,
    /// The run's category for GitHub code scanning (which refuses two runs of one category
    /// in an upload, and keeps one analysis per category): `preflight/<what was checked>/`.
    automation_details: AutomationDetails,
    results: Vec<SarifResult<'a>>,
    invocations: [Invocation; 1],
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

/// `preflight/<dir>/`: the deepest directory (from the repository root) holding every plan the
/// run read, so runs over `envs/dev` and `envs/prod` are two categories, and one over the
/// whole repository is `preflight/`.
fn category(report: &Report) -> String {
    let dirs: Vec<Vec<String>> = report
        .inputs
        .iter()
        .map(|i| {
            let path = report.repo_path(&i.path);
            let path = std::path::Path::new(&path);
            // A root module is a directory; a plan file's directory is its parent.
            let dir = if i.path.ends_with('/') || std::path::Path::new(&i.path).is_dir() {
                path
            } else {
                path.parent().unwrap_or(std::path::Path::new(""))
            };
            dir.components()
                .filter_map(|c| match c {
                    std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let mut common: Vec<String> = dirs.first().cloned().unwrap_or_default();
    for d in &dirs[1.min(dirs.len())..] {
        let n = common.iter().zip(d).take_while(|(a, b)| a == b).count();
        common.truncate(n);
    }
    if common.is_empty() {
        "preflight/".to_string()
    } else {
        format!("preflight/{}/", common.join("/"))
    }
}

#[derive(Serialize)]
struct BaseIds {
    #[serde(rename = "%SRCROOT%")]
    srcroot: BaseUri,
}

#[derive(Serialize)]
struct BaseUri {
    uri: String,
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
    locations: [Location; 1],
    /// Where a value the finding is about was set (a Terraform variable's default).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
    partial_fingerprints: Fingerprints,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "preflightEntry/v1")]
    entry: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: usize,
    physical_location: PhysicalLocation,
    message: Message,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    byte_offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    byte_length: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// How files are named: relative to the root when there is one.
struct Places<'a> {
    root: Option<&'a Root>,
}

impl Places<'_> {
    fn artifact(&self, shown: &str) -> ArtifactLocation {
        match self.root.map(|r| r.uri_of(shown)) {
            Some(Ok(uri)) => ArtifactLocation {
                uri,
                uri_base_id: Some(SRCROOT),
            },
            Some(Err(absolute)) => ArtifactLocation {
                uri: absolute,
                uri_base_id: None,
            },
            None => ArtifactLocation {
                uri: super::paths::encode_path(shown),
                uri_base_id: None,
            },
        }
    }

    fn physical(&self, file: &SourceFile, span: miette::SourceSpan) -> PhysicalLocation {
        let (start, end) = file.range(span);
        PhysicalLocation {
            artifact_location: self.artifact(file.name()),
            region: Some(Region {
                start_line: start.line,
                start_column: start.column,
                end_line: Some(end.line),
                end_column: Some(end.column),
                byte_offset: Some(span.offset()),
                byte_length: Some(span.len()),
            }),
        }
    }

    fn location(&self, d: &Diagnostic) -> Location {
        Location {
            physical_location: self.physical(&d.file, d.span),
        }
    }

    /// Places in other files (same-file labels are in the snippet already).
    fn related(&self, d: &Diagnostic) -> Vec<RelatedLocation> {
        d.elsewhere
            .iter()
            .filter(|(file, _, _)| file.is_file())
            .enumerate()
            .map(|(id, (file, span, label))| RelatedLocation {
                id,
                physical_location: self.physical(file, *span),
                message: Message {
                    text: label.clone(),
                },
            })
            .collect()
    }

    /// The pairing's identity, which moving lines does not change.
    fn fingerprint(&self, d: &Diagnostic) -> Fingerprints {
        let file = self
            .root
            .and_then(|r| r.relative(d.file.name()))
            .unwrap_or_else(|| d.file.name().to_string());
        let digest = Sha256::digest(format!("{}\n{file}\n{}", d.rule, d.entry));
        Fingerprints {
            entry: hex::encode(&digest[..16]),
        }
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
    let places = Places {
        root: report.root.as_ref(),
    };
    // Errors first, then warnings (unverified among them), then notes, when there are more
    // than code scanning takes.
    let mut shown: Vec<&Diagnostic> = report.diagnostics.iter().collect();
    shown.sort_by_key(|d| {
        std::cmp::Reverse(if d.unverified {
            Severity::Warning
        } else {
            d.severity
        })
    });
    let left_out = shown.len().saturating_sub(MAX_RESULTS);
    shown.truncate(MAX_RESULTS);
    let results = shown
        .into_iter()
        .map(|d| SarifResult {
            rule_id: &d.rule,
            rule_index: index(&d.rule),
            level: if d.unverified {
                "warning"
            } else {
                level(d.severity)
            },
            message: Message {
                text: d.message_and_help(),
            },
            locations: [places.location(d)],
            related_locations: places.related(d),
            partial_fingerprints: places.fingerprint(d),
        })
        .collect();
    let mut notifications: Vec<Notification> = report
        .errors
        .iter()
        .map(|e| Notification {
            level: "error",
            message: Message {
                text: format!("[{}] {}", e.code(), e.message()),
            },
            locations: e
                .file()
                .map(|f| Location {
                    physical_location: PhysicalLocation {
                        artifact_location: places.artifact(f),
                        region: e.position().map(|p| Region {
                            start_line: p.line,
                            start_column: p.column,
                            end_line: None,
                            end_column: None,
                            byte_offset: None,
                            byte_length: None,
                        }),
                    },
                })
                .into_iter()
                .collect(),
        })
        .collect();
    if left_out > 0 {
        notifications.push(Notification {
            level: "warning",
            message: Message {
                text: format!(
                    "{left_out} more results are left out: GitHub code scanning takes at most {MAX_RESULTS} per run (errors come first); `--format json` has them all"
                ),
            },
            locations: Vec::new(),
        });
    }
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
            original_uri_base_ids: report.root.as_ref().map(|r| BaseIds {
                srcroot: BaseUri { uri: r.uri() },
            }),
            column_kind: "unicodeCodePoints",
            automation_details: AutomationDetails {
                id: category(report),
            },
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
