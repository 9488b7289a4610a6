//! Reading a `.tf` file past its syntax errors, as Terraform lists them all. The parser stops
//! at the first; after each, the top-level block that holds it is blanked out with spaces (so
//! every offset stays where it was) and the file is parsed again, until it parses, nothing
//! more can be cut, or a cap is reached.
//!
//! One error is the parser's own: HCL's quoted strings end on the line they start (Terraform:
//! "Invalid multi-line string"), but the parser reads on to the next `"`, so a missing closing
//! quote is reported lines later, wherever the text stops making sense. The string really at
//! fault is pointed at instead.

use std::ops::Range;

use miette::SourceSpan;

use crate::error::InputError;
use crate::source::SourceFile;
use crate::yaml::recover::{MAX_BYTES_READ, MAX_ERRORS, blank, too_many};

/// Every syntax error of `source`, in file order; the body when there is none.
pub fn parse(source: &SourceFile) -> Result<hcl_edit::structure::Body, Vec<InputError>> {
    // A clean file is parsed once, from the source itself; only a broken one is copied to cut.
    let mut e = match hcl_edit::parser::parse_body(source.text()) {
        Ok(body) => return Ok(body),
        Err(e) => e,
    };
    let mut text = source.text().to_string();
    let mut errors = Vec::new();
    let mut bytes_read = text.len();
    let mut last_spot = None;
    loop {
        let (error, spot) = said(source, &text, &e);
        // The same spot again: cutting did not help, and nothing after it can be trusted.
        if last_spot == Some(spot) {
            return Err(errors);
        }
        errors.push(error);
        if errors.len() >= MAX_ERRORS || bytes_read >= MAX_BYTES_READ {
            errors.push(too_many(source.name(), "Terraform file", errors.len()));
            return Err(errors);
        }
        let item = top_level_item(&text, spot);
        blank(&mut text, item);
        last_spot = Some(spot);
        bytes_read += text.len();
        e = match hcl_edit::parser::parse_body(&text) {
            Ok(_) => return Err(errors),
            Err(e) => e,
        };
    }
}

/// The error `e` as the user sees it, and the spot whose top-level item is cut next: an open
/// quoted string where one is at fault, else where the parser stopped.
fn said(source: &SourceFile, text: &str, e: &hcl_edit::parser::Error) -> (InputError, usize) {
    let at = source.offset_of(e.location().line(), e.location().column());
    // The parser may report the attribute that holds the string: its line counts too.
    let line_end_at = line_end(text.as_bytes(), at.min(text.len()));
    if let Some(quote) = unclosed_string(text, line_end_at) {
        let error = InputError::at(
            "terraform::syntax",
            source,
            SourceSpan::new(quote.into(), 1),
            format!(
                "cannot read `{}`: this quoted string is not closed on its line",
                source.name()
            ),
            "opened here",
        )
        .with_help(
            "close it with `\"` on the same line; text over several lines is a heredoc \
             (`<<EOT` … `EOT`)",
        );
        return (error, quote);
    }
    let error = InputError::at(
        "terraform::syntax",
        source,
        SourceSpan::new(at.into(), 0),
        format!("cannot read `{}`: {}", source.name(), e.message()),
        "here",
    )
    .with_help("`terraform validate` says more about the configuration");
    (error, at)
}

/// The top-level item (a block, or an attribute) that holds `spot`: from where it starts to
/// the end of the line where its brackets are all closed again, else to the end of the file.
/// Strings, comments and heredocs are skipped, so brackets in them do not count.
fn top_level_item(text: &str, spot: usize) -> Range<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut start = 0;
    let mut fresh_line = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            if depth == 0 && i > spot {
                return start..i;
            }
            fresh_line = true;
            i += 1;
            continue;
        }
        if !b.is_ascii_whitespace() {
            // Where depth 0 has something new on a line, an item starts.
            if fresh_line && depth == 0 && i <= spot {
                start = i;
            }
            fresh_line = false;
        }
        i = match b {
            b'#' => line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                find(bytes, i + 2, b"*/").map_or(bytes.len(), |at| at + 2)
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => heredoc_end(bytes, i + 2),
            // A string a newline ends goes on at the newline.
            b'"' => string_end(bytes, i + 1).unwrap_or_else(|()| line_end(bytes, i)),
            b'{' | b'[' | b'(' => {
                depth += 1;
                i + 1
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                i + 1
            }
            _ => i + 1,
        };
    }
    start..bytes.len()
}

/// The offset of the opening quote of the first quoted string, opened before `before`, that a
/// newline ends instead of a quote (outside comments, heredocs and `${ … }` interpolations).
pub fn unclosed_string(text: &str, before: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let end = before.min(bytes.len());
    let mut i = 0;
    while i < end {
        match bytes[i] {
            b'#' => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = find(bytes, i + 2, b"*/").map_or(bytes.len(), |at| at + 2);
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => i = heredoc_end(bytes, i + 2),
            b'"' => match string_end(bytes, i + 1) {
                Ok(after) => i = after,
                Err(()) => return Some(i),
            },
            _ => i += 1,
        }
    }
    None
}

/// Past the closing quote of a string whose content starts at `i`; `Err` when a newline comes
/// first. Escapes are skipped; an interpolation's own strings are followed to its `}`.
fn string_end(bytes: &[u8], mut i: usize) -> Result<usize, ()> {
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Ok(i + 1),
            b'\n' => return Err(()),
            b'\\' => i += 2,
            b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => i = interpolation_end(bytes, i + 2)?,
            _ => i += 1,
        }
    }
    Err(())
}

/// Past the `}` closing an interpolation whose expression starts at `i` (newlines are allowed
/// in the expression; its quoted strings are strings again).
fn interpolation_end(bytes: &[u8], mut i: usize) -> Result<usize, ()> {
    let mut depth = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = string_end(bytes, i + 1)?,
            b'{' => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => i += 1,
        }
    }
    Err(())
}

fn line_end(bytes: &[u8], i: usize) -> usize {
    find(bytes, i, b"\n").unwrap_or(bytes.len())
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| from + at)
}

/// Past a heredoc whose `<<` ends at `i` (`<<EOT` or `<<-EOT`): after the line that holds only
/// its marker. Not a heredoc (no marker): just past the `<<`.
fn heredoc_end(bytes: &[u8], mut i: usize) -> usize {
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    let start = i;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
        i += 1;
    }
    let marker = &bytes[start..i];
    if marker.is_empty() {
        return start;
    }
    let mut line = line_end(bytes, i) + 1;
    while line < bytes.len() {
        let next = line_end(bytes, line);
        if bytes[line..next].trim_ascii() == marker {
            return next;
        }
        line = next + 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::{parse, top_level_item, unclosed_string};
    use crate::source::SourceFile;

    fn errors(text: &str) -> Vec<(usize, String)> {
        let source = SourceFile::new("main.tf", text);
        match parse(&source) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .iter()
                .map(|e| (e.position().map_or(0, |p| p.line), e.message().to_string()))
                .collect(),
        }
    }

    #[test]
    fn every_broken_block_is_said_at_its_spot() {
        let text = "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n\n\
            resource \"alicloud_instance\" \"a\" {\n  image_id      = \"m-web\"\n  instance_type = \"ecs.g7.large\n}\n\n\
            resource \"alicloud_instance\" \"b\" {\n  policy = <<EOF\n{\n}\nEOF\n  image_id = = \"m-web\"\n}\n\n\
            resource \"alicloud_instance\" \"c\" {\n  image_id = \"m-web\"\n}\n";
        let got = errors(text);
        let lines: Vec<usize> = got.iter().map(|g| g.0).collect();
        assert_eq!(lines, [7, 15], "{got:?}");
        assert!(got[0].1.contains("not closed on its line"), "{}", got[0].1);
    }

    #[test]
    fn a_clean_file_parses_and_a_hopeless_one_stops() {
        assert!(errors("a = 1\nb { c = 2 }\n").is_empty());
        // An unclosed block runs to the end: one error, nothing after it.
        assert_eq!(errors("b {\n  c = \n").len(), 1);
    }

    #[test]
    fn a_file_past_the_cap_says_where_reading_stopped() {
        let text: String = (0..150)
            .map(|i| format!("resource \"a\" \"r{i}\" {{\n  x = = 1\n}}\n"))
            .collect();
        let got = errors(&text);
        assert_eq!(got.len(), super::MAX_ERRORS + 1);
        assert_eq!(got[0].0, 2);
        assert_eq!(got[99].0, 2 + 99 * 3, "one error per block, in file order");
        let last = &got[super::MAX_ERRORS].1;
        assert!(last.contains("after 100 errors"), "{last}");
    }

    #[test]
    fn items_run_from_their_line_to_their_closing_brace() {
        let text = "a = 1\nb \"x\" {\n  s = \"}\"\n  c = {\n  }\n}\nd = 2\n";
        let spot = text.find("c =").unwrap();
        let item = top_level_item(text, spot);
        assert_eq!(&text[item], "b \"x\" {\n  s = \"}\"\n  c = {\n  }\n}");
        let spot = text.find("d =").unwrap();
        assert_eq!(&text[top_level_item(text, spot)], "d = 2");
    }

    fn at(text: &str) -> Option<usize> {
        unclosed_string(text, text.len())
    }

    #[test]
    fn finds_the_string_a_newline_ends() {
        let text = "a = \"ok\"\nb = \"open\n}\n";
        assert_eq!(at(text), text.find("\"open"));
    }

    #[test]
    fn comments_heredocs_escapes_and_interpolations_are_not_strings_left_open() {
        for text in [
            "# a \"quote\n",
            "// it's \"\n",
            "/* \"\n */ a = 1\n",
            "a = <<EOT\nsay \"hi\nEOT\nb = \"x\"\n",
            "a = <<-EOT\n  \"\n  EOT\n",
            "a = \"say \\\"hi\\\"\"\n",
            "a = \"${join(\",\", [\n  \"x\",\n])}\"\n",
            "a = \"%{ if true }yes%{ endif }\"\n",
            "a = {\n  b = \"c\"\n}\n",
        ] {
            assert_eq!(at(text), None, "{text}");
        }
    }

    #[test]
    fn only_strings_opened_before_the_error_count() {
        let text = "a = 1 +\nb = \"open\n";
        assert_eq!(unclosed_string(text, 4), None);
    }

    proptest::proptest! {
        /// No text makes reading loop, panic or point outside the file; a file is read past
        /// its errors only up to the cap.
        #[test]
        fn any_text_is_read_to_an_end_with_every_error_inside_it(
            text in "[a-z0-9 =\"{}\\[\\]()#/*<\\-\\n\\\\$%,.]{0,400}"
        ) {
            let source = SourceFile::new("main.tf", &text);
            if let Err(errors) = parse(&source) {
                proptest::prop_assert!(!errors.is_empty());
                proptest::prop_assert!(errors.len() <= super::MAX_ERRORS + 1);
                for e in &errors {
                    if let Some(span) = e.span() {
                        proptest::prop_assert!(span.offset() + span.len() <= text.len());
                    }
                }
                // Never the same error twice.
                for pair in errors.windows(2) {
                    proptest::prop_assert!(
                        (pair[0].span(), pair[0].message()) != (pair[1].span(), pair[1].message())
                    );
                }
            }
        }
    }
}
