//! Findings: what would fail in the cloud, at a place in a plan. Plain data; the reporters
//! decide how they look.

use std::fmt;
use std::str::FromStr;

use miette::SourceSpan;
use serde::Serialize;

use crate::source::SourceFile;

/// How bad a finding is. Ordered: `Note < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "error" => Ok(Severity::Error),
            "warning" => Ok(Severity::Warning),
            "note" => Ok(Severity::Note),
            other => Err(format!(
                "unknown severity `{other}`: use error, warning or note"
            )),
        }
    }
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub file: SourceFile,
    pub span: SourceSpan,
    pub label: String,
    /// Other places worth showing ("the image is arm64").
    pub related: Vec<(SourceSpan, String)>,
    /// Places in other files worth showing (a variable's default in `variables.tf`).
    pub elsewhere: Vec<(SourceFile, SourceSpan, String)>,
    pub cloud: String,
    pub region: String,
    pub image: Option<String>,
    pub instance_type: Option<String>,
    /// Where the instances land, where known: the zone written, or its vSwitch's.
    pub zone: Option<String>,
    /// How the instances are bought (`postpaid`, `prepaid`, `spot`), for instance entries.
    pub charge_type: Option<String>,
    /// The entry's name.
    pub entry: String,
    /// 1-based line where the entry starts (for suppression comments above it).
    pub entry_line: usize,
    /// True for `unverified`: it gates exit code 3, not `--fail-on`.
    pub unverified: bool,
    /// For `unverified`: facts the run did not have would settle it (asking the clouds may
    /// help); false when only Terraform can tell, at plan or apply time.
    pub needs_facts: bool,
    /// Edits that would make the finding go, for `--fix` and the editor's quick fixes.
    pub fixes: Vec<Fix>,
    /// What the finding turns on, for what groups or folds findings by it: a pairing's
    /// `unverified` reasons, the code of a dry run's refusal. Not in any report's own format.
    pub cause: Option<String>,
    /// The plan (a YAML plan, a Terraform root or plan JSON) whose entry it is about, for
    /// pairing findings: one module called from two roots gives a finding per root.
    pub plan: Option<String>,
}

/// One edit of the finding's file that would make the finding go: `replacement` instead of
/// the text at `span`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// For people: "change to `m.n4.2xlarge`".
    pub title: String,
    pub span: SourceSpan,
    pub replacement: String,
    /// `--fix` applies it: it can only do what the finding asks (a one-edit typo of a type
    /// the image allows, a disk raised to the image's minimum). Others need
    /// `--unsafe-fixes`, as in ruff.
    pub safe: bool,
}

impl Diagnostic {
    /// The parts every finding has; the constructors beside the checks (`checks::finding`)
    /// fill in the entry.
    pub(crate) fn in_entry(
        rule: &str,
        severity: Severity,
        file: &SourceFile,
        span: SourceSpan,
        message: String,
        label: String,
    ) -> Self {
        Diagnostic {
            rule: rule.to_string(),
            severity,
            message,
            help: None,
            file: file.clone(),
            span,
            label,
            related: Vec::new(),
            elsewhere: Vec::new(),
            fixes: Vec::new(),
            cloud: String::new(),
            region: String::new(),
            image: None,
            zone: None,
            charge_type: None,
            instance_type: None,
            entry: String::new(),
            entry_line: 0,
            unverified: false,
            needs_facts: false,
            cause: None,
            plan: None,
        }
    }

    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    pub fn with_fixes(mut self, fixes: impl IntoIterator<Item = Fix>) -> Self {
        self.fixes.extend(fixes);
        self
    }

    /// The message with its help in parentheses, for outputs that have one text field.
    pub fn message_and_help(&self) -> String {
        match &self.help {
            Some(h) => format!("{} ({h})", self.message),
            None => self.message.clone(),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: SourceSpan, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    /// 1-based line of the primary span.
    pub fn line(&self) -> usize {
        self.file.line_of(self.span.offset())
    }
}
