//! Between preflight's places (byte spans in a `SourceFile`, 1-based lines and character
//! columns) and LSP's (0-based lines, columns in the negotiated encoding), and between file
//! paths and `file:` URIs.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::{Position, PositionEncodingKind, Range, Uri};
use miette::SourceSpan;
use percent_encoding::percent_decode_str;

use crate::source::SourceFile;

/// What an LSP column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Utf32,
}

impl Encoding {
    /// The client's first choice (of `general.positionEncodings`) that preflight speaks;
    /// UTF-16, which every client must accept, when it names none.
    pub fn negotiate(offered: &serde_json::Value) -> Encoding {
        offered
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|kind| match kind.as_str()? {
                "utf-8" => Some(Encoding::Utf8),
                "utf-16" => Some(Encoding::Utf16),
                "utf-32" => Some(Encoding::Utf32),
                _ => None,
            })
            .unwrap_or(Encoding::Utf16)
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn units(self, c: char) -> u32 {
        match self {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
            Encoding::Utf32 => 1,
        }
    }

    /// The LSP position of a 1-based line and character column of `file`.
    pub fn position(self, file: &SourceFile, at: crate::source::Position) -> Position {
        let line = file.line_text(at.line);
        let character = line
            .chars()
            .take(at.column.saturating_sub(1))
            .map(|c| self.units(c))
            .sum();
        Position {
            line: at.line.saturating_sub(1) as u32,
            character,
        }
    }

    /// The LSP range of a byte span of `file`.
    pub fn range(self, file: &SourceFile, span: SourceSpan) -> Range {
        let (start, end) = file.range(span);
        Range {
            start: self.position(file, start),
            end: self.position(file, end),
        }
    }

    /// The byte offset in `file` of an LSP position (clamped to its line and the text).
    pub fn offset(self, file: &SourceFile, at: Position) -> usize {
        let line = at.line as usize + 1;
        let mut units = 0;
        let mut column = 1;
        for c in file.line_text(line).chars() {
            if units >= at.character {
                break;
            }
            units += self.units(c);
            column += 1;
        }
        file.offset_of(line, column)
    }
}

/// The local path a `file:` URI names; `None` for other schemes (`untitled:`).
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file://host/path` names another machine; `file:///path` and `file://localhost/path`
    // this one.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let decoded = percent_decode_str(rest).decode_utf8().ok()?;
    let path = if cfg!(windows) {
        // `/C:/work/plan.yaml`
        PathBuf::from(decoded.trim_start_matches('/').replace('/', "\\"))
    } else {
        PathBuf::from(decoded.as_ref())
    };
    Some(crate::files::overlay_key(&path))
}

/// The `file:` URI of an absolute path (as SARIF writes them).
pub fn uri_of(path: &Path) -> Uri {
    let uri = crate::report::file_uri(path);
    Uri::from_str(&uri).unwrap_or_else(|_| Uri::from_str("file:///").expect("a valid URI"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_what_the_encoding_counts() {
        let file = SourceFile::new("p.yaml", "a: 1\n{n: \"🚀é\", t: x}\n");
        let at = file.text().find("t: x").unwrap();
        let span = SourceSpan::new(at.into(), 4);
        // 🚀 is 4 bytes, 2 UTF-16 units, 1 character; é is 2, 1, 1.
        assert_eq!(
            Encoding::Utf8.range(&file, span).start,
            Position::new(1, 14)
        );
        assert_eq!(
            Encoding::Utf16.range(&file, span).start,
            Position::new(1, 11)
        );
        assert_eq!(
            Encoding::Utf32.range(&file, span).start,
            Position::new(1, 10)
        );
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            let start = enc.range(&file, span).start;
            assert_eq!(enc.offset(&file, start), at, "{enc:?}");
        }
    }

    #[test]
    fn file_uris_round_trip_spaces_and_unicode() {
        let path = crate::files::overlay_key(Path::new("/tmp/my plans/é#1.plan.yaml"));
        let uri = uri_of(&path);
        assert_eq!(uri.as_str(), "file:///tmp/my%20plans/%C3%A9%231.plan.yaml");
        assert_eq!(path_of(&uri), Some(path));
        let untitled = Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(path_of(&untitled), None);
    }
}
