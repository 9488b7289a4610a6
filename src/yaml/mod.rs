//! The one YAML reader: plans, rule files and the config file are read here, with one set of
//! safety limits (depth, aliases, nodes, bytes), and every serde-saphyr error becomes an input
//! error at the right spot, in the user's words ("unknown key", "a tab indents line 6"), with
//! "did you mean" for unknown keys.

pub mod recover;

use serde::de::DeserializeOwned;

use miette::SourceSpan;

use crate::error::{InputError, Kind};
use crate::source::SourceFile;

/// The parser's options: YAML 1.2 booleans, and budgets well above any real plan that stop a
/// hostile one (deep nesting, alias bombs) before it costs memory.
pub fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        with_snippet: false,
        strict_booleans: true,
        budget: serde_saphyr::budget! {
            max_depth: 32,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_nodes: 8_000_000,
            max_events: 16_000_000,
            max_total_scalar_bytes: crate::files::MAX_INPUT_BYTES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000,
        },
    }
}

/// Reads `file` as a `T`; a problem is an input error of `kind` at its spot.
pub fn read<T: DeserializeOwned>(file: &SourceFile, kind: Kind) -> Result<T, InputError> {
    serde_saphyr::from_str_with_options(file.text(), options())
        .map_err(|e| from_error(kind, file, &e))
}

/// Reads `file` as a `T` past every error that can be read past (`recover`): the value as
/// read with those errors' parts cut out, if it then reads, the errors, and what was cut.
pub fn read_all<T: DeserializeOwned>(
    file: &SourceFile,
    kind: Kind,
) -> (Option<T>, Vec<InputError>, recover::Cut) {
    let r = recover::read(file, kind);
    (r.value, r.errors, r.cut)
}

/// `first`, then `rest`, in the order of their places in the file.
pub fn in_order(first: Vec<InputError>, rest: Vec<InputError>) -> Vec<InputError> {
    let mut all = first;
    if all.is_empty() {
        return rest;
    }
    all.extend(rest);
    all.sort_by_key(|e| e.span().map_or(0, |s| s.offset()));
    all
}

/// Turns a serde-saphyr error into an `InputError` at the right spot, with a friendlier
/// message where serde's wording is for programmers, and "did you mean" for unknown keys.
// One arm per kind of serde-saphyr error, each a few lines: kept in one match so every kind
// is seen at once, and a new one in serde-saphyr shows up as a gap here.
pub fn from_error(kind: Kind, file: &SourceFile, err: &serde_saphyr::Error) -> InputError {
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
                        kind.wrong_type_code(),
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
    use crate::source::Position;

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
