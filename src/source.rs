//! A file the user gave us (plan, rule file, facts file), kept whole so that every diagnostic
//! can point into it. Converts byte spans to the 1-based line and column (in characters) that
//! the JSON, compact and SARIF outputs promise.

use std::sync::Arc;

use miette::{NamedSource, SourceSpan};

/// The text of one input file and where its lines start. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SourceFile {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    named: NamedSource<Arc<str>>,
    text: Arc<str>,
    line_starts: Vec<usize>,
    /// Whether a `\r` ends a line on its own somewhere (old Mac line ends): miette counts those
    /// as lines and the line index does not, so snippets are then read the slow way.
    lone_cr: bool,
    /// For text that is not all ASCII, the number of characters before every
    /// `CHAR_MARK`-th byte (rounded down to a character boundary): columns on a long line
    /// (minified JSON) then cost a short count, not one from the line's start.
    char_marks: Option<Vec<usize>>,
    /// False for text that is not in a file (an environment variable, a flag's value): shown
    /// in the terminal, never given to tools as a path.
    is_file: bool,
}

const CHAR_MARK: usize = 4096;

/// A 1-based line and column; the column counts characters (Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text: Arc<str> = Arc::from(text.into());
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect::<Vec<_>>();
        let char_marks = (!text.is_ascii()).then(|| {
            let mut marks = Vec::with_capacity(text.len() / CHAR_MARK + 1);
            let mut chars = 0;
            let mut from = 0;
            for k in 0..=text.len() / CHAR_MARK {
                let mut at = (k * CHAR_MARK).min(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                chars += text[from..at].chars().count();
                marks.push(chars);
                from = at;
            }
            marks
        });
        let lone_cr = text
            .match_indices('\r')
            .any(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'));
        Self {
            inner: Arc::new(Inner {
                named: NamedSource::new(name.into(), Arc::clone(&text)),
                text,
                line_starts,
                lone_cr,
                char_marks,
                is_file: true,
            }),
        }
    }

    /// Text from somewhere that is not a file, named for people (`TF_VAR_image`).
    pub fn not_a_file(name: impl Into<String>, text: impl Into<String>) -> Self {
        let mut file = Self::new(name, text);
        Arc::get_mut(&mut file.inner)
            .expect("just made, so not shared")
            .is_file = false;
        file
    }

    /// Whether the name is a path a tool can open.
    pub fn is_file(&self) -> bool {
        self.inner.is_file
    }

    /// The path as the user wrote it (or as discovery found it).
    pub fn name(&self) -> &str {
        self.inner.named.name()
    }

    pub fn text(&self) -> &str {
        &self.inner.text
    }

    /// What miette needs to draw a snippet: the file, with very long lines (minified JSON)
    /// cut down to a window around what is shown.
    pub fn text_source(&self) -> &dyn miette::SourceCode {
        self
    }

    /// The position of a byte offset (clamped to the text, and to a character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let offset = self.floor_char_boundary(offset.min(self.text().len()));
        let line = self.inner.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.inner.line_starts[line];
        Position {
            line: line + 1,
            column: self.chars_before(offset) - self.chars_before(start) + 1,
        }
    }

    /// How many characters come before a byte offset (on a character boundary).
    fn chars_before(&self, offset: usize) -> usize {
        let Some(marks) = &self.inner.char_marks else {
            return offset;
        };
        let k = offset / CHAR_MARK;
        let mut at = k * CHAR_MARK;
        while !self.text().is_char_boundary(at) {
            at -= 1;
        }
        marks[k] + self.text()[at..offset].chars().count()
    }

    /// Start and end (exclusive, as SARIF's `endColumn`) positions of a span.
    pub fn range(&self, span: SourceSpan) -> (Position, Position) {
        (
            self.position(span.offset()),
            self.position(span.offset() + span.len()),
        )
    }

    /// The byte offset of a 1-based line and character column; clamped to the text.
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.inner.line_starts.get(line.saturating_sub(1)) else {
            return self.text().len();
        };
        let rest = &self.text()[start..];
        let line_text = rest.split('\n').next().unwrap_or("");
        start
            + line_text
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(line_text.len(), |(i, _)| i)
    }

    /// 1-based line number of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.inner
            .line_starts
            .partition_point(|&s| s <= offset.min(self.text().len()))
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.inner.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .inner
            .line_starts
            .get(line)
            .map_or(self.text().len(), |&next| next - 1);
        self.text()[start..end].trim_end_matches('\r')
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while !self.text().is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

/// Lines longer than this are shown as a window around the span, not whole.
const MAX_SHOWN_LINE: usize = 200;
/// How far back in a long line to look for the key of the value shown.
const WINDOW_MARGIN: usize = 80;

impl miette::SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text = self.text();
        let start = span.offset().min(text.len());
        let end = (start + span.len()).min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
        let long = line_end - line_start > MAX_SHOWN_LINE && !text[start..end].contains('\n');
        if !long {
            return self.read_lines(span, context_lines_before, context_lines_after);
        }
        // One long line (minified JSON): show the span and the key before it, never the
        // whole line, and nothing after it: a neighbouring value may be one Terraform marks
        // sensitive. Without context (how miette asks where a snippet starts), just the span.
        if spans_several_values(&text[start..end]) {
            // Two labels miette would draw as one snippet: refused, so it draws them apart.
            return Err(miette::MietteError::OutOfBounds);
        }
        let mut from = start;
        if context_lines_before + context_lines_after > 0 {
            let floor = start.saturating_sub(WINDOW_MARGIN).max(line_start);
            let before = &text.as_bytes()[floor..start];
            if let Some(i) = before.iter().rposition(|b| matches!(b, b',' | b'{' | b'[')) {
                from = floor + i + 1;
            }
        }
        let from = self.floor_char_boundary(from);
        let to = end;
        let at = self.position(from);
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name().to_string(),
            &text.as_bytes()[from..to],
            SourceSpan::new(from.into(), to - from),
            at.line - 1,
            at.column - 1,
            1,
        )))
    }
}

impl SourceFile {
    /// What miette's own reader gives for `span`, found in time proportional to what is shown:
    /// miette scans the text from its start, which made one snippet per finding quadratic in
    /// the plan's size. The scan starts at the first context line instead (found through the
    /// line index, one line early) and the answer is moved back to the whole text's lines and
    /// offsets.
    fn read_lines<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        use miette::SourceCode;
        if self.inner.lone_cr {
            return self
                .inner
                .named
                .read_span(span, context_lines_before, context_lines_after);
        }
        let text = self.text();
        let line = self.line_of(span.offset()) - 1;
        // One line more than asked: miette's reader looks at the byte before an empty span.
        let first = line.saturating_sub(context_lines_before + 1);
        let from = self.inner.line_starts[first];
        let shifted = SourceSpan::new((span.offset() - from).into(), span.len());
        let window = text[from..].read_span(&shifted, context_lines_before, context_lines_after)?;
        let data = window.data();
        // `data` borrows `text[from..]`, so its offset in the window is its offset there.
        let at = data.as_ptr() as usize - text[from..].as_ptr() as usize;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name().to_string(),
            &text.as_bytes()[from + at..from + at + data.len()],
            SourceSpan::new((from + window.span().offset()).into(), window.span().len()),
            first + window.line(),
            window.column(),
            first + window.line_count(),
        )))
    }
}

/// Whether a stretch of JSON holds more than one value: a `,` outside strings.
fn spans_several_values(json: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ',' if !in_string => return true,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let f = SourceFile::new("p.yaml", "a: π\nbb: x\n");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
        // 'x' sits after "a: π\n" (6 bytes) and "bb: " (4 bytes).
        assert_eq!(f.position(10), Position { line: 2, column: 5 });
        assert_eq!(f.offset_of(2, 5), 10);
        assert_eq!(f.line_text(1), "a: π");
        assert_eq!(f.line_text(3), "");
    }

    #[test]
    fn offsets_inside_a_character_round_down() {
        let f = SourceFile::new("p.yaml", "π");
        assert_eq!(f.position(1), Position { line: 1, column: 1 });
        assert_eq!(f.position(99), Position { line: 1, column: 2 });
    }

    #[test]
    fn long_lines_show_only_the_key_and_value() {
        use miette::SourceCode;
        let padding = "x".repeat(300);
        let text =
            format!(r#"{{"pad":"{padding}","password":"hunter2","image_id":"img-1","size":40}}"#);
        let file = SourceFile::new("tfplan.json", text.clone());
        let at = text.find("\"img-1\"").expect("present");
        let span = SourceSpan::new(at.into(), 7);
        let shown = file.read_span(&span, 1, 1).expect("reads");
        assert_eq!(
            std::str::from_utf8(shown.data()).expect("utf-8"),
            r#""image_id":"img-1""#
        );
        assert_eq!(shown.line(), 0);
        // Two values at once (a merged snippet) are refused, so nothing between them shows.
        let both = SourceSpan::new(
            text.find("\"hunter2").expect("present").into(),
            at + 7 - text.find("\"hunter2").expect("present"),
        );
        assert!(file.read_span(&both, 1, 1).is_err());
        // Short lines are shown as they are.
        let short = SourceFile::new("p.yaml", "a: 1\nb: 2\n");
        let shown = short
            .read_span(&SourceSpan::new(3.into(), 1), 1, 1)
            .expect("reads");
        assert_eq!(
            std::str::from_utf8(shown.data()).expect("utf-8"),
            "a: 1\nb: 2\n"
        );
    }

    #[test]
    fn snippets_are_what_miettes_own_reader_gives() {
        use miette::SourceCode;
        let texts = [
            "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\n",
            "one line, no break",
            "x\r\ny\r\nz\r\n\r\nw",
            "a\rb\nc\r\nd",
            "\n\n\nlast\n",
            "π: ü\nbb: é\ncc\n",
        ];
        for text in texts {
            let file = SourceFile::new("f", text);
            let named = NamedSource::new("f", text.to_string());
            for offset in 0..=text.len() {
                if !text.is_char_boundary(offset) {
                    continue;
                }
                for len in [0, 1, 2, 3, 7] {
                    let len = len.min(text.len() - offset);
                    let span = SourceSpan::new(offset.into(), len);
                    for (before, after) in [(0, 0), (1, 1), (2, 3), (0, 2), (3, 0)] {
                        let ours = file.read_lines(&span, before, after);
                        let theirs = named.read_span(&span, before, after);
                        match (ours, theirs) {
                            (Ok(a), Ok(b)) => {
                                let case =
                                    format!("{text:?} at {offset}+{len} ({before}, {after})");
                                assert_eq!(a.data(), b.data(), "{case}");
                                assert_eq!(a.span(), b.span(), "{case}");
                                assert_eq!(a.line(), b.line(), "{case}");
                                assert_eq!(a.column(), b.column(), "{case}");
                                assert_eq!(a.line_count(), b.line_count(), "{case}");
                                assert_eq!(a.name(), b.name(), "{case}");
                            }
                            (Err(_), Err(_)) => {}
                            (a, b) => panic!(
                                "{text:?} at {offset}+{len}: ours {} theirs {}",
                                a.is_ok(),
                                b.is_ok()
                            ),
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn columns_on_long_lines_count_characters_past_every_mark() {
        // Multi-byte characters straddle the marks; columns must still count characters.
        let text = format!("{}\n{}x", "é".repeat(5000), "ü".repeat(9000));
        let file = SourceFile::new("t", text.clone());
        for offset in [
            0,
            2,
            4094,
            4096,
            8190,
            9998,
            10000,
            10001,
            12000,
            text.len() - 1,
        ] {
            let offset = file.floor_char_boundary(offset);
            let line_start = if offset > 10000 { 10001 } else { 0 };
            let expected = text[line_start..offset].chars().count() + 1;
            assert_eq!(file.position(offset).column, expected, "offset {offset}");
            assert_eq!(file.line_of(offset), if offset > 10000 { 2 } else { 1 });
        }
    }
}

/// A place in a file that explains a diagnostic elsewhere (where a variable was set, the
/// first of two duplicate blocks): shown by miette as advice below it.
#[derive(Debug, Clone)]
pub struct Elsewhere {
    pub file: SourceFile,
    pub span: SourceSpan,
    pub label: String,
}

impl std::fmt::Display for Elsewhere {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

impl std::error::Error for Elsewhere {}

impl miette::Diagnostic for Elsewhere {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self.file.text_source())
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_primary_with_span(None, self.span),
        )))
    }
}
