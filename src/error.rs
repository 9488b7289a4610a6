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
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Plan => "plan file",
            Kind::Rules => "rule file",
            Kind::Config => "config file",
            Kind::Facts => "facts file",
        }
    }

    /// (syntax, unknown key, missing key, unreadable)
    fn codes(self) -> (&'static str, &'static str, &'static str, &'static str) {
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
}

/// Turns a serde-saphyr error into an `InputError` at the right spot, with a friendlier
/// message where serde's wording is for programmers, and "did you mean" for unknown keys.
pub fn from_yaml(kind: Kind, file: &SourceFile, err: &serde_saphyr::Error) -> InputError {
    use serde_saphyr::Error as E;

    let inner = err.without_snippet();
    let location = inner.location();
    let span = location.map(|loc| {
        let s = loc.span();
        match (s.byte_offset(), s.byte_len()) {
            (Some(off), Some(len)) => SourceSpan::new((off as usize).into(), len as usize),
            _ => {
                let off = file.offset_of(loc.line() as usize, loc.column() as usize);
                SourceSpan::new(off.into(), 0)
            }
        }
    });
    // serde reports a missing key where the mapping ends; point at where the entry starts.
    let span = match (inner, span) {
        (E::SerdeMissingField { .. }, Some(sp)) => Some(entry_start(file, sp)),
        _ => span,
    };
    let (code, unknown_key_code, missing_key_code, _) = kind.codes();
    let (code, message, label, help) = match inner {
        E::SerdeUnknownField {
            field, expected, ..
        } => {
            let help = match crate::suggest::best(field, expected.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "the keys allowed here are {}",
                    crate::suggest::quoted_list(expected)
                ),
            };
            (
                unknown_key_code,
                format!("unknown key `{field}`"),
                "not a key preflight knows".to_string(),
                Some(help),
            )
        }
        E::SerdeMissingField { field, .. } => (
            missing_key_code,
            format!("missing required key `{field}`"),
            format!("this entry needs `{field}`"),
            Some(format!("add `{field}:` to the entry")),
        ),
        E::DuplicateMappingKey { .. } => (
            code,
            "duplicate key".to_string(),
            "this key is already set above".to_string(),
            Some("remove one of the two".to_string()),
        ),
        E::Budget { breach, .. } => (
            "input::too-complex",
            format!("the {} is past preflight's safety limits: {}", kind.name(), budget_words(breach)),
            "limit reached here".to_string(),
            Some("plans never need this; if yours is generated, write the entries out or split it into several files".to_string()),
        ),
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => (
            "input::too-complex",
            format!("the {} expands YAML aliases past preflight's safety limits", kind.name()),
            "limit reached here".to_string(),
            Some("write the values out instead of nesting aliases".to_string()),
        ),
        E::MultipleDocuments { .. } => (
            code,
            format!(
                "the {} holds more than one YAML document; preflight reads one per file",
                kind.name()
            ),
            "a second document starts here".to_string(),
            Some("remove the `---` line, or split the documents into files of their own".to_string()),
        ),
        E::Eof { .. } if file.text().trim().is_empty() => (
            code,
            format!("the {} is empty", kind.name()),
            String::new(),
            None,
        ),
        other => {
            if let Some(tab) = indenting_tab(file, span) {
                return InputError::at(
                    code,
                    file,
                    SourceSpan::new(tab.into(), 1),
                    format!(
                        "a tab indents line {}; YAML allows only spaces for indentation",
                        file.line_of(tab)
                    ),
                    "tab",
                )
                .with_help("indent with spaces (most editors can convert tabs to spaces)");
            }
            let message = strip_location_suffix(&other.to_string());
            // The parser points at the value (`count: three`), or, for values its caller
            // reads itself, at the key: then the value is what to show.
            let keyed = span.and_then(|sp| {
                key_at(file, sp.offset())
                    .map(|key| (key, sp))
                    .or_else(|| key_here(file, sp.offset()))
            });
            match (wanted_kind(&message), keyed) {
                (Some(wanted), Some((key, value))) => {
                    let written = &file.text()[value.offset()..value.offset() + value.len()];
                    let error = InputError::at(
                        code,
                        file,
                        value,
                        format!("`{key}` must be {wanted}"),
                        format!("not {wanted}"),
                    );
                    let unquoted = written.trim_matches(['"', '\'']);
                    return match wanted {
                        "a single text value" if !written.starts_with(['[', '{']) => error
                            .with_help(format!(
                                "YAML reads `{written}` as a number, boolean or null; quote it: \"{written}\""
                            )),
                        "a whole number" if unquoted != written => error.with_help(format!(
                            "write it without quotes: {key}: {unquoted}"
                        )),
                        _ => error,
                    };
                }
                _ => {
                    let label = short_label(&message);
                    (code, message, label, None)
                }
            }
        }
    };
    let mut error = match span {
        Some(span) => InputError::at(code, file, span, message, label),
        None => InputError::in_file(code, file.name(), message),
    };
    if let Some(help) = help {
        error = error.with_help(help);
    }
    error
}

/// The first key of the list entry (`- key: …`) that contains `span`, or `span` itself when it
/// is not inside one.
fn entry_start(file: &SourceFile, span: SourceSpan) -> SourceSpan {
    let position = file.position(span.offset());
    let key_indent = file
        .line_text(position.line)
        .chars()
        .take_while(|c| *c == ' ')
        .count();
    for line in (1..=position.line).rev() {
        let text = file.line_text(line);
        let indent = text.chars().take_while(|c| *c == ' ').count();
        let rest = &text[indent..];
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        if let Some(after) = rest.strip_prefix("- ") {
            let key_at = indent + 2 + (after.len() - after.trim_start().len());
            if key_at == key_indent {
                let start = file.offset_of(line, key_at + 1);
                let key_len = after.trim_start().split(':').next().unwrap_or("").len();
                return SourceSpan::new(start.into(), key_len);
            }
        }
        if indent < key_indent {
            break;
        }
    }
    span
}

/// The first tab in a line's indentation, up to the line after a syntax error's spot: YAML
/// forbids tabs there, and its parser reports them late (at the end of the line before) and in
/// its own words ("while scanning a plain scalar, found a tab").
fn indenting_tab(file: &SourceFile, span: Option<SourceSpan>) -> Option<usize> {
    let last = span.map_or(usize::MAX, |sp| file.line_of(sp.offset()) + 1);
    let mut start = 0;
    for (n, line) in file.text().split_inclusive('\n').enumerate() {
        if n + 1 > last {
            break;
        }
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(i) = line[..indent].find('\t') {
            return Some(start + i);
        }
        start += line.len();
    }
    None
}

/// What a serde type error expected, in words ("a whole number").
fn wanted_kind(message: &str) -> Option<&'static str> {
    // "invalid type: integer `123`, expected a string": what was expected, not what was found.
    let m = message.to_ascii_lowercase();
    let m = m.rsplit_once("expected").map_or(m.as_str(), |(_, e)| e);
    if ["i64", "u64", "u32", "i32", "integer", "whole number"]
        .iter()
        .any(|t| m.contains(t))
    {
        Some("a whole number")
    } else if m.contains("string") {
        Some("a single text value")
    } else if m.contains("sequence") {
        Some("a list")
    } else if m.contains("map") || m.contains("struct") {
        Some("a mapping of keys to values")
    } else {
        None
    }
}

/// The key written at `offset` (`count: three`) and the span of its value on that line.
fn key_here(file: &SourceFile, offset: usize) -> Option<(String, SourceSpan)> {
    let rest = file.text().get(offset..)?;
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let (key, value) = line.split_once(':')?;
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let start = key.len() + 1 + (value.len() - value.trim_start().len());
    let value = value.trim();
    // The value ends at a comment, or at the next entry of a flow mapping.
    let end = value
        .find(" #")
        .into_iter()
        .chain(value.find([',', '}']))
        .min()
        .unwrap_or(value.len());
    let value = value[..end].trim_end();
    (!value.is_empty()).then(|| {
        (
            key.to_string(),
            SourceSpan::new((offset + start).into(), value.len()),
        )
    })
}

/// The key whose value starts at `offset`, from the text before it on its line (`count: x`).
fn key_at(file: &SourceFile, offset: usize) -> Option<String> {
    let line_start = file.text()[..offset.min(file.text().len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let before = file.text().get(line_start..offset)?;
    let key = before
        .trim()
        .trim_start_matches("- ")
        .strip_suffix(':')?
        .trim();
    (!key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-'))
    .then(|| key.to_string())
}

fn budget_words(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Aliases { aliases } => format!("{aliases} YAML aliases (at most 1,000)"),
        B::Anchors { anchors } => format!("{anchors} YAML anchors (at most 1,000)"),
        B::Depth { depth } => format!("nested {depth} levels deep (at most 32)"),
        B::Nodes { nodes } => format!("{nodes} values"),
        B::Events { events } => format!("{events} YAML events"),
        B::ScalarBytes { total_scalar_bytes } => format!("{total_scalar_bytes} bytes of text"),
        other => format!("{other:?}"),
    }
}

/// serde-saphyr appends " at line N, column M"; the snippet already shows where.
fn strip_location_suffix(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(", column ") => message[..i].to_string(),
        _ => message.to_string(),
    }
}

fn short_label(message: &str) -> String {
    if message.starts_with("invalid type") || message.starts_with("expected ") {
        "wrong type here".to_string()
    } else if message.contains("budget") || message.contains("alias") {
        "limit reached here".to_string()
    } else {
        "here".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tab_in_indentation_is_reported_at_the_tab() {
        for (text, line, column) in [
            ("instances:\n\t- name: web\n", 2, 1),
            (
                "instances:\n  - name: a\n    cloud: jdcloud\n    region: cn-north-1\n    \
                 instance_type: g.n4.xlarge\n  \timage: img-1\n",
                6,
                3,
            ),
        ] {
            let file = SourceFile::new("p.yaml", text);
            let errors = crate::plan::parse(file).expect_err("tabs are refused");
            let e = &errors[0];
            assert_eq!(
                e.position(),
                Some(Position { line, column }),
                "{}",
                e.message()
            );
            assert!(
                e.message().contains("a tab indents line"),
                "{}",
                e.message()
            );
            assert!(e.help_text().is_some_and(|h| h.contains("spaces")));
        }
    }
}
