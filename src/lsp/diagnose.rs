//! Which open documents preflight checks, how, and the LSP diagnostics of a run.
//!
//! Every checked document is a *unit*: it is validated as `preflight validate FILE` would
//! validate it, with the open buffers read in place of the files on disk (the module around a
//! `.tf` file included). Its findings may land in other files (a variable's default in
//! `variables.tf`), so the server keeps each unit's diagnostics per file and publishes, for a
//! file, those of every unit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lsp_types::{
    Diagnostic as LspDiagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Position, Range,
};

use super::convert::{Encoding, uri_of};
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::InputError;
use crate::files::overlay_key;
use crate::report::Report;
use crate::source::SourceFile;

/// How preflight checks a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A preflight plan or Terraform plan JSON: the file itself.
    Plan,
    /// Terraform configuration or variables (`.tf`, `.tfvars`): through the root modules
    /// that include it.
    Terraform,
}

/// Whether preflight checks a document, by its name and, for YAML and JSON, its text: YAML
/// named as `validate` finds plans (`*.plan.yaml`, `plan.yaml`) or with a top-level
/// `instances:` or `images:` key; JSON that is Terraform plan JSON. Other YAML and JSON
/// (workflows, package manifests) are left alone.
pub fn kind_of(path: &Path, text: &str) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if name.ends_with(".tf") || name.ends_with(".tofu") {
        return Some(Kind::Terraform);
    }
    if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
        return Some(Kind::Terraform);
    }
    if name == crate::config::FILE_NAME {
        return None;
    }
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        let named = ["plan.yaml", "plan.yml"].contains(&name)
            || name.ends_with(".plan.yaml")
            || name.ends_with(".plan.yml");
        let keyed = text.lines().any(|l| {
            l.starts_with("instances:") || l.starts_with("images:") || l.starts_with("defaults:")
        });
        return (named || keyed).then_some(Kind::Plan);
    }
    if name.ends_with(".json") && crate::terraform::is_plan_json(text) {
        return Some(Kind::Plan);
    }
    None
}

/// What `validate` is given for a document: the file itself; for Terraform the root modules
/// that include it (found under the repository root, as the pre-commit hook finds them), so a
/// module is checked with the values its callers give it, and a module nobody calls is its
/// own root.
pub fn targets(path: &Path, kind: Kind, reader: crate::files::Reader) -> Vec<PathBuf> {
    match kind {
        Kind::Plan => vec![path.to_path_buf()],
        Kind::Terraform => {
            let Some(dir) = path.parent() else {
                return vec![path.to_path_buf()];
            };
            let top = crate::files::nearest_with(dir, &[".git"]).unwrap_or_else(|| dir.into());
            let roots = crate::terraform::root_modules(&[path.to_path_buf()], &top, reader);
            if roots.is_empty() {
                vec![dir.to_path_buf()]
            } else {
                roots
            }
        }
    }
}

/// A run's diagnostics, per absolute file path.
pub type ByFile = BTreeMap<PathBuf, Vec<LspDiagnostic>>;

/// The LSP diagnostics of a report; input errors without a file of their own land on `unit`.
pub fn to_lsp(report: &Report, unit: &Path, enc: Encoding) -> ByFile {
    let mut out = ByFile::new();
    for d in &report.diagnostics {
        out.entry(overlay_key(Path::new(d.file.name())))
            .or_default()
            .push(finding(d, enc));
    }
    for e in &report.errors {
        let (file, diagnostic) = input_error(e, unit, enc);
        if file != unit {
            // The document cannot be checked until that file is fixed: say so on it too,
            // pointing there.
            let shown = e.file().unwrap_or_default();
            let mut here = diagnostic.clone();
            here.range = Range::default();
            here.message = format!("not checked: `{shown}`: {}", diagnostic.message);
            here.related_information = Some(vec![DiagnosticRelatedInformation {
                location: Location::new(uri_of(&file), diagnostic.range),
                message: "here".to_string(),
            }]);
            out.entry(unit.to_path_buf()).or_default().push(here);
        }
        out.entry(file).or_default().push(diagnostic);
    }
    out
}

/// The LSP range of a finding (the one `--format json` gives, in LSP's terms).
pub fn range_of(d: &Diagnostic, enc: Encoding) -> Range {
    enc.range(&d.file, d.span)
}

fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Note => DiagnosticSeverity::INFORMATION,
    }
}

pub(super) fn finding(d: &Diagnostic, enc: Encoding) -> LspDiagnostic {
    let uri = uri_of(&overlay_key(Path::new(d.file.name())));
    let mut related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .map(|(span, label)| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), enc.range(&d.file, *span)),
            message: label.clone(),
        })
        .collect();
    related.extend(
        d.elsewhere
            .iter()
            .filter(|(file, _, _)| file.is_file())
            .map(|(file, span, label)| DiagnosticRelatedInformation {
                location: Location::new(
                    uri_of(&overlay_key(Path::new(file.name()))),
                    enc.range(file, *span),
                ),
                message: label.clone(),
            }),
    );
    LspDiagnostic {
        range: range_of(d, enc),
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.rule.clone())),
        code_description: None,
        source: Some("preflight".to_string()),
        message: d.message_and_help(),
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// An input error as a diagnostic: at its spot in its file, or at the top of `unit`.
fn input_error(e: &InputError, unit: &Path, enc: Encoding) -> (PathBuf, LspDiagnostic) {
    let file = e
        .file()
        .map(|f| overlay_key(Path::new(f)))
        .unwrap_or_else(|| unit.to_path_buf());
    let range = match (e.position(), e.snippet()) {
        (Some(at), Some(source)) => {
            let start = enc.position(source, at);
            let end = e
                .span()
                .map(|span| enc.position(source, source.position(span.offset() + span.len())))
                .filter(|end| *end > start)
                .unwrap_or(start);
            Range { start, end }
        }
        (Some(at), None) => {
            let p = Position::new(at.line.saturating_sub(1) as u32, 0);
            Range::new(p, p)
        }
        _ => Range::default(),
    };
    let mut message = e.message().to_string();
    if let Some(help) = e.help_text() {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<DiagnosticRelatedInformation> = e
        .also()
        .iter()
        .map(|a| DiagnosticRelatedInformation {
            location: Location::new(
                uri_of(&overlay_key(Path::new(a.file.name()))),
                enc.range(&a.file, a.span),
            ),
            message: a.label.clone(),
        })
        .collect();
    (
        file,
        LspDiagnostic {
            range,
            severity: Some(DiagnosticSeverity::ERROR),
            code: Some(NumberOrString::String(e.code().to_string())),
            code_description: None,
            source: Some("preflight".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            tags: None,
            data: None,
        },
    )
}

/// A diagnostic for a run that went wrong inside preflight (a bug): shown, never fatal.
pub fn internal(why: &str) -> LspDiagnostic {
    LspDiagnostic {
        range: Range::default(),
        severity: Some(DiagnosticSeverity::ERROR),
        code: Some(NumberOrString::String("internal".to_string())),
        source: Some("preflight".to_string()),
        message: format!(
            "preflight could not check this file: {why}\nhelp: please report this; `preflight validate` on the file may say more"
        ),
        ..LspDiagnostic::default()
    }
}

/// Whether a finding's file is `path`.
pub fn is_in(d: &Diagnostic, path: &Path) -> bool {
    overlay_key(Path::new(d.file.name())) == path
}

/// A document's text as preflight reads it.
pub fn source_of(path: &Path, text: &str) -> SourceFile {
    SourceFile::new(
        path.display().to_string(),
        text.strip_prefix('\u{feff}').unwrap_or(text),
    )
}
