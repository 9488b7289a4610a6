//! Suppression comments: `# preflight-ignore: rule-a, rule-b -- reason`, optionally ending
//! in an expiry, `-- reason (until 2027-03-31)`: from that day on it silences nothing, and the
//! findings it covered return with a note.
//!
//! A comment after a value applies to that line. A comment on a line of its own applies to
//! the next line that is not blank or a comment; when that line starts an entry (`- name: …`),
//! to every diagnostic of that entry. Rule ids are checked against the known rules later,
//! once rule files are loaded (`checks::catalog`).

use miette::SourceSpan;

use super::Value;
use crate::error::InputError;
use crate::source::SourceFile;

const MARKER: &str = "preflight-ignore";

/// One `preflight-ignore` comment.
#[derive(Debug, Clone)]
pub struct Suppression {
    pub rules: Vec<Value<String>>,
    pub reason: Option<String>,
    /// The 1-based line it applies to (a value's line or an entry's first line).
    pub target_line: usize,
    /// The last day it holds (`(until 2027-03-31)` ends the reason), as `YYYY-MM-DD`.
    pub until: Option<String>,
    /// The 1-based line the comment is on.
    pub line: usize,
}

impl Suppression {
    /// Whether it silences `rule` reported at `line` in the entry starting at `entry_line`.
    pub fn covers(&self, rule: &str, line: usize, entry_line: Option<usize>) -> bool {
        (self.target_line == line || Some(self.target_line) == entry_line)
            && self.rules.iter().any(|r| r.value == rule)
    }

    /// Whether it has expired by `today` (`YYYY-MM-DD`): it held through its `until` day.
    pub fn expired(&self, today: &str) -> bool {
        self.until.as_deref().is_some_and(|until| until < today)
    }
}

/// `(until YYYY-MM-DD)` at the end of a reason: the date, checked to be one, and where it is.
fn expiry(file: &SourceFile, reason: &str, at: usize) -> Result<Option<String>, InputError> {
    let Some(open) = reason.rfind("(until") else {
        return Ok(None);
    };
    let inner = reason[open + "(until".len()..].trim();
    let date = inner.strip_suffix(')').map(str::trim).unwrap_or(inner);
    let valid = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
        && date.len() == 10
        && reason.trim_end().ends_with(')');
    if valid {
        Ok(Some(date.to_string()))
    } else {
        Err(InputError::at(
            "plan::bad-suppression",
            file,
            SourceSpan::new((at + open).into(), reason.len() - open),
            format!(
                "`{}` is not an expiry: it needs a date, as `(until 2027-03-31)`",
                reason[open..].trim()
            ),
            "not a date",
        )
        .with_help(
            "end the reason with `(until YYYY-MM-DD)`; the suppression holds through that day",
        ))
    }
}

/// Finds every suppression comment in a YAML file.
pub fn parse(file: &SourceFile) -> Result<Vec<Suppression>, Vec<InputError>> {
    let text = file.text();
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut line_start = 0;
    let lines: Vec<&str> = text.split('\n').collect();
    for (index, line) in lines.iter().enumerate() {
        if let Some(comment_at) = comment_start(line) {
            let comment = &line[comment_at..];
            let body = comment.trim_start_matches('#').trim_start();
            if let Some(rest) = body.strip_prefix(MARKER) {
                let base = line_start + comment_at + (comment.len() - body.len()) + MARKER.len();
                let trailing = !line[..comment_at].trim().is_empty();
                let target_line = if trailing {
                    index + 1
                } else {
                    next_content_line(&lines, index + 1)
                };
                match parse_body(file, rest, base) {
                    Ok((rules, reason)) => {
                        let reason_at = base + rest.find("--").map_or(0, |i| i + 2);
                        let reason_at = reason_at
                            + rest.find("--").map_or(0, |i| {
                                rest[i + 2..].len() - rest[i + 2..].trim_start().len()
                            });
                        match reason.as_deref().map(|r| expiry(file, r, reason_at)) {
                            Some(Err(e)) => errors.push(e),
                            until => found.push(Suppression {
                                rules,
                                reason,
                                target_line,
                                until: until.and_then(Result::ok).flatten(),
                                line: index + 1,
                            }),
                        }
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        line_start += line.len() + 1;
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    }
}

/// `rest` is what follows the marker: `: rule-a, rule-b -- reason`. `base` is its byte offset.
#[allow(clippy::type_complexity)]
fn parse_body(
    file: &SourceFile,
    rest: &str,
    base: usize,
) -> Result<(Vec<Value<String>>, Option<String>), InputError> {
    let rest_trimmed = rest.trim_end_matches('\r');
    let Some(list) = rest_trimmed.strip_prefix(':') else {
        return Err(InputError::at(
            "plan::bad-suppression",
            file,
            SourceSpan::new(base.into(), 0),
            "a suppression comment needs a colon and rule ids",
            "expected `:` here",
        )
        .with_help("write `# preflight-ignore: rule-id -- reason`"));
    };
    let (list, reason) = match list.split_once("--") {
        Some((l, r)) => (l, Some(r.trim().to_string()).filter(|r| !r.is_empty())),
        None => (list, None),
    };
    let mut rules = Vec::new();
    let mut offset = base + 1;
    for part in list.split(',') {
        let id = part.trim();
        if !id.is_empty() {
            let start = offset + (part.len() - part.trim_start().len());
            rules.push(Value {
                value: id.to_string(),
                span: SourceSpan::new(start.into(), id.len()),
            });
        }
        offset += part.len() + 1;
    }
    if rules.is_empty() {
        return Err(InputError::at(
            "plan::bad-suppression",
            file,
            SourceSpan::new((base + 1).into(), list.len()),
            "a suppression comment names no rule",
            "expected rule ids here",
        )
        .with_help("write `# preflight-ignore: rule-id -- reason`; `preflight rules` lists them"));
    }
    Ok((rules, reason))
}

/// Where a YAML comment starts on this line, if any: a `#` at the start or after white
/// space, outside quotes.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if (c == '"' || c == '\'') && (previous == ' ' || previous == ':') => {
                quote = Some(c)
            }
            None if c == '#' && previous.is_whitespace() => return Some(i),
            None => {}
        }
        previous = c;
    }
    None
}

fn next_content_line(lines: &[&str], from: usize) -> usize {
    lines
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map_or(from + 1, |(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Vec<Suppression> {
        parse(&SourceFile::new("p.yaml", text)).expect("parses")
    }

    #[test]
    fn trailing_comment_targets_its_line() {
        let s = parse_ok("a: 1\nb: x # preflight-ignore: image-not-found, unverified -- known\n");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].target_line, 2);
        let ids: Vec<_> = s[0].rules.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(ids, ["image-not-found", "unverified"]);
        assert_eq!(s[0].reason.as_deref(), Some("known"));
    }

    #[test]
    fn rule_spans_point_at_the_ids() {
        let text = "b: x # preflight-ignore:  image-not-found\n";
        let s = parse_ok(text);
        let span = s[0].rules[0].span;
        assert_eq!(
            &text[span.offset()..span.offset() + span.len()],
            "image-not-found"
        );
    }

    #[test]
    fn own_line_comment_targets_next_content_line() {
        let s = parse_ok("x:\n  # preflight-ignore: unverified\n\n  # other\n  - name: a\n");
        assert_eq!(s[0].target_line, 5);
        assert!(s[0].covers("unverified", 9, Some(5)));
        assert!(!s[0].covers("image-not-found", 9, Some(5)));
    }

    #[test]
    fn hash_inside_quotes_is_not_a_comment() {
        assert!(parse_ok("a: \"x # preflight-ignore: unverified\"\n").is_empty());
    }

    #[test]
    fn missing_colon_or_rules_is_an_error() {
        assert!(
            parse(&SourceFile::new(
                "p",
                "a: 1 # preflight-ignore unverified\n"
            ))
            .is_err()
        );
        assert!(parse(&SourceFile::new("p", "a: 1 # preflight-ignore: -- why\n")).is_err());
    }
}
