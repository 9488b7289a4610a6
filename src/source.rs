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
}

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
        Self {
            inner: Arc::new(Inner {
                named: NamedSource::new(name.into(), Arc::clone(&text)),
                text,
                line_starts,
            }),
        }
    }

    /// The path as the user wrote it (or as discovery found it).
    pub fn name(&self) -> &str {
        self.inner.named.name()
    }

    pub fn text(&self) -> &str {
        &self.inner.text
    }

    /// What miette needs to draw a snippet.
    pub fn named_source(&self) -> NamedSource<Arc<str>> {
        self.inner.named.clone()
    }

    /// The same, borrowed, for a `miette::Diagnostic::source_code`.
    pub fn text_source(&self) -> &dyn miette::SourceCode {
        &self.inner.named
    }

    /// The position of a byte offset (clamped to the text, and to a character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let offset = self.floor_char_boundary(offset.min(self.text().len()));
        let line = self.inner.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.inner.line_starts[line];
        Position {
            line: line + 1,
            column: self.text()[start..offset].chars().count() + 1,
        }
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
        self.position(offset).line
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
}
