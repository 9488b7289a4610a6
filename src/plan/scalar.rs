//! Where a YAML scalar's own bytes lie in the text a value's span covers, so a fix rewrites
//! those bytes and nothing else: the span of a block scalar (`|`, `>`) runs to the next key,
//! an anchor (`&a`) or tag (`!!str`) comes before the value, and a quoted value has quotes
//! and escapes. A style where the written bytes are not the value itself (an alias, a
//! multi-line or escaped scalar, a flow collection) has no place a fix could safely write.

use std::ops::Range;

/// How a scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// A one-line literal or folded block scalar: its content line.
    Block,
}

/// The bytes of `written` (the text of a value's span) that hold the scalar itself, and how
/// they are written; `None` where there is no such single place.
pub fn locate(written: &str) -> Option<(Range<usize>, Style)> {
    let mut at = 0;
    // Properties first: an anchor and a tag, in either order, each followed by a space.
    loop {
        let rest = &written[at..];
        if rest.starts_with('&') || rest.starts_with('!') {
            let end = rest.find([' ', '\t', '\n', '\r'])?;
            at += end;
            at += written[at..].len() - written[at..].trim_start_matches([' ', '\t']).len();
        } else {
            break;
        }
    }
    let rest = &written[at..];
    let line_end = rest.find(['\n', '\r']).unwrap_or(rest.len());
    let first_line = &rest[..line_end];
    match rest.chars().next()? {
        '*' | '[' | '{' | '#' => None,
        '"' => quoted(first_line, '"').map(|r| (shift(r, at), Style::DoubleQuoted)),
        '\'' => quoted(first_line, '\'').map(|r| (shift(r, at), Style::SingleQuoted)),
        '|' | '>' => block(rest, line_end).map(|r| (shift(r, at), Style::Block)),
        _ => {
            // A plain scalar ends at a comment or the line's end; one that goes on to the
            // next line is folded by YAML, and is not one place.
            let value = match first_line.find(" #") {
                Some(i) => &first_line[..i],
                None => first_line,
            };
            let value = value.trim_end();
            let after = rest[line_end..].trim();
            let continued = !after.is_empty() && !after.starts_with('#');
            if value.is_empty() || continued {
                return None;
            }
            Some((at..at + value.len(), Style::Plain))
        }
    }
}

/// The inside of a one-line quoted scalar without escapes.
fn quoted(line: &str, quote: char) -> Option<Range<usize>> {
    let inner = &line[1..];
    let end = inner.find(quote)?;
    let content = &inner[..end];
    let escaped = match quote {
        '"' => content.contains('\\'),
        _ => inner[end + 1..].starts_with('\''),
    };
    (!escaped).then_some(1..1 + end)
}

/// The one content line of a block scalar whose header line ends at `header_end`.
fn block(text: &str, header_end: usize) -> Option<Range<usize>> {
    let header = &text[..header_end];
    let header = header.split(" #").next().unwrap_or(header).trim_end();
    // `|`, `>`, with chomping (`-`, `+`) and an indentation digit: nothing else.
    if !header[1..]
        .chars()
        .all(|c| matches!(c, '-' | '+' | '1'..='9'))
    {
        return None;
    }
    let mut content: Option<Range<usize>> = None;
    let mut offset = header_end;
    for line in text[header_end..].split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if content.is_some() {
            return None;
        }
        let lead = line.len() - line.trim_start().len();
        content = Some(start + lead..start + lead + trimmed.len());
    }
    content
}

fn shift(r: Range<usize>, by: usize) -> Range<usize> {
    r.start + by..r.end + by
}

/// `value` written in `style`, or `None` when that style cannot hold it as it is.
pub fn render(value: &str, style: Style) -> Option<String> {
    let plain_safe = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./*".contains(&b))
        && !value.starts_with(['-', '*']);
    match style {
        Style::Plain if plain_safe => Some(value.to_string()),
        Style::Plain => Some(serde_json::Value::from(value).to_string()),
        Style::Block if plain_safe => Some(value.to_string()),
        Style::Block => None,
        Style::DoubleQuoted => (!value.contains(['"', '\\'])
            && !value.chars().any(char::is_control))
        .then(|| value.to_string()),
        Style::SingleQuoted => (!value.contains('\'') && !value.chars().any(char::is_control))
            .then(|| value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(written: &str) -> Option<(&str, Style)> {
        locate(written).map(|(r, s)| (&written[r], s))
    }

    #[test]
    fn every_style_finds_only_the_value_itself() {
        assert_eq!(own("m.n4.2xlarg"), Some(("m.n4.2xlarg", Style::Plain)));
        assert_eq!(
            own("m.n4.2xlarg  # why"),
            Some(("m.n4.2xlarg", Style::Plain))
        );
        assert_eq!(own("\"m.n4\" # c"), Some(("m.n4", Style::DoubleQuoted)));
        assert_eq!(own("'m.n4'"), Some(("m.n4", Style::SingleQuoted)));
        assert_eq!(own("|\n  m.n4\n"), Some(("m.n4", Style::Block)));
        assert_eq!(own(">-\n      m.n4\n\n"), Some(("m.n4", Style::Block)));
        assert_eq!(own("&t m.n4"), Some(("m.n4", Style::Plain)));
        assert_eq!(own("!!str m.n4"), Some(("m.n4", Style::Plain)));
        assert_eq!(own("&t !!str 'm.n4'"), Some(("m.n4", Style::SingleQuoted)));
    }

    #[test]
    fn styles_without_one_place_have_none() {
        assert_eq!(own("*t"), None, "an alias: the value is at its anchor");
        assert_eq!(own("|\n  a\n  b\n"), None, "two lines");
        assert_eq!(own("\"a\\u0041\""), None, "an escape");
        assert_eq!(own("'it''s'"), None);
        assert_eq!(own("[a, b]"), None);
        assert_eq!(own("{a: b}"), None);
        assert_eq!(own("a\n  b"), None, "a plain scalar folded over two lines");
        assert_eq!(own("|x\n  a\n"), None, "not a block header");
    }

    #[test]
    fn values_are_written_as_the_style_can_hold_them() {
        assert_eq!(
            render("g.n4.xlarge", Style::Plain).as_deref(),
            Some("g.n4.xlarge")
        );
        assert_eq!(render("a: b", Style::Plain).as_deref(), Some("\"a: b\""));
        assert_eq!(render("a: b", Style::Block), None);
        assert_eq!(render("a\"b", Style::DoubleQuoted), None);
        assert_eq!(render("it's", Style::SingleQuoted), None);
        assert_eq!(render("40", Style::Block).as_deref(), Some("40"));
    }
}
