//! Text that came from an input, made safe to print: control characters other than line
//! breaks and tabs (an ESC, BEL or NUL in a plan JSON address, or in a YAML key written with
//! escapes) become escapes (`\u{1b}`), so an input cannot recolour, hide or rewrite the lines
//! a reviewer reads in a terminal or a CI log. Reports use it for findings
//! (`report::escape`), input errors for their messages.

use std::borrow::Cow;

/// A count as people read it: `12,345`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Whether `c` is a control character that is not a line break or a tab.
pub fn is_hostile(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// `s` with every control character but line breaks and tabs as `\u{…}`.
pub fn controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hostile) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if is_hostile(c) {
                    format!("\\u{{{:x}}}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(31745), "31,745");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }

    use super::*;

    #[test]
    fn controls_become_escapes_and_the_rest_stays() {
        assert_eq!(controls("a\u{1b}[31mb\u{7}\0"), "a\\u{1b}[31mb\\u{7}\\u{0}");
        assert_eq!(controls("two\nlines\tand a tab"), "two\nlines\tand a tab");
        assert!(matches!(controls("plain"), Cow::Borrowed(_)));
        assert_eq!(controls("\u{9b}"), "\\u{9b}", "C1 controls too");
    }
}
