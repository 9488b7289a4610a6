//! Failures of the run itself: a plan, rule file or facts file that cannot be read or is not
//! valid, a bad flag value. Each becomes a miette diagnostic that points at the spot and exits
//! with code 2. Findings about the cloud are not errors; they live in `diagnostic.rs`.

use miette::{Diagnostic, LabeledSpan, SourceSpan};

use crate::source::{Elsewhere, Position, SourceFile};

/// One problem with the input. Plain data plus enough to draw a snippet; boxed, because
/// it travels in `Result`s.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .0.message)]
pub struct InputError(Box<Data>);

#[derive(Debug, Clone)]
struct Data {
    code: &'static str,
    message: String,
    help: Option<String>,
    file: Option<String>,
    snippet: Option<SourceFile>,
    labels: Vec<LabeledSpan>,
    position: Option<Position>,
    /// Other places the error involves (the first of two duplicates).
    also: Vec<Elsewhere>,
}

impl InputError {
    /// A problem with no file to point into (an unreadable path, a bad flag).
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        let message: String = message.into();
        Self(Box::new(Data {
            code,
            // Messages quote the input (an unknown key, a value): never its control bytes.
            message: crate::text::controls(&message).into_owned(),
            help: None,
            file: None,
            snippet: None,
            labels: Vec::new(),
            position: None,
            also: Vec::new(),
        }))
    }

    /// A short machine-friendly kind, shown as the diagnostic code (`plan::unknown-key`).
    pub fn code(&self) -> &'static str {
        self.0.code
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn help_text(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// The file, when the problem is in one.
    pub fn file(&self) -> Option<&str> {
        self.0.file.as_deref()
    }

    /// A problem at `span` in `file`, with `label` under it.
    pub fn at(
        code: &'static str,
        file: &SourceFile,
        span: SourceSpan,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        let label: String = label.into();
        let mut e = Self::new(code, message);
        e.0.file = Some(file.name().to_string());
        e.0.snippet = Some(file.clone());
        e.0.labels = vec![LabeledSpan::new_primary_with_span(
            (!label.is_empty()).then_some(label),
            span,
        )];
        e.0.position = Some(file.position(span.offset()));
        e
    }

    /// A problem about a whole file that could not be read or parsed at all.
    pub fn in_file(code: &'static str, file: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new(code, message);
        e.0.file = Some(file.to_string());
        e
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        let help: String = help.into();
        self.0.help = Some(crate::text::controls(&help).into_owned());
        self
    }

    /// A second place worth showing ("first defined here").
    pub fn with_label(mut self, span: SourceSpan, label: impl Into<String>) -> Self {
        self.0
            .labels
            .push(LabeledSpan::new_with_span(Some(label.into()), span));
        self
    }

    /// 1-based line and column of the primary spot, when there is one.
    pub fn position(&self) -> Option<Position> {
        self.0.position
    }

    /// Another place this error involves, shown below it and listed in JSON.
    pub fn also_at(
        mut self,
        file: &SourceFile,
        span: SourceSpan,
        label: impl Into<String>,
    ) -> Self {
        self.0.also.push(Elsewhere {
            file: file.clone(),
            span,
            label: label.into(),
        });
        self
    }

    /// The same error drawn from `file`, a text with the same offsets (a plan read with parts
    /// blanked out is shown as it was written).
    pub fn shown_in(mut self, file: &SourceFile) -> Self {
        if self.0.snippet.is_some() {
            self.0.snippet = Some(file.clone());
        }
        self
    }

    /// The file the error points into, when it has one in hand.
    pub fn snippet(&self) -> Option<&SourceFile> {
        self.0.snippet.as_ref()
    }

    /// The primary spot's span, when there is one.
    pub fn span(&self) -> Option<SourceSpan> {
        self.0.labels.first().map(|l| *l.inner())
    }

    pub fn also(&self) -> &[Elsewhere] {
        &self.0.also
    }
}

impl Diagnostic for InputError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.0.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0
            .help
            .as_deref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0
            .snippet
            .as_ref()
            .map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.0.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.0.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.0.also.is_empty() {
            return None;
        }
        Some(Box::new(self.0.also.iter().map(|e| e as &dyn Diagnostic)))
    }
}

/// The kinds of file preflight reads, each with its diagnostic codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plan,
    Rules,
    Config,
    Facts,
    Baseline,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Plan => "plan file",
            Kind::Rules => "rule file",
            Kind::Config => "config file",
            Kind::Facts => "facts file",
            Kind::Baseline => "baseline file",
        }
    }

    /// (syntax, unknown key, missing key, unreadable)
    pub(crate) fn codes(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Kind::Plan => (
                "plan::syntax",
                "plan::unknown-key",
                "plan::missing-key",
                "plan::unreadable",
            ),
            Kind::Rules => (
                "rules::syntax",
                "rules::unknown-key",
                "rules::missing-key",
                "rules::unreadable",
            ),
            Kind::Config => (
                "config::syntax",
                "config::unknown-key",
                "config::missing-key",
                "config::unreadable",
            ),
            Kind::Baseline => (
                "baseline::invalid",
                "baseline::invalid",
                "baseline::invalid",
                "baseline::unreadable",
            ),
            Kind::Facts => (
                "facts::invalid",
                "facts::invalid",
                "facts::invalid",
                "facts::unreadable",
            ),
        }
    }

    /// The code for a file of this kind that cannot be read.
    pub fn unreadable_code(self) -> &'static str {
        self.codes().3
    }

    /// The code for a value of the wrong type (`count: three`): not a syntax error, the YAML
    /// reads fine.
    pub(crate) fn wrong_type_code(self) -> &'static str {
        match self {
            Kind::Plan => "plan::wrong-type",
            Kind::Rules => "rules::wrong-type",
            Kind::Config => "config::wrong-type",
            Kind::Baseline | Kind::Facts => self.codes().0,
        }
    }
}
