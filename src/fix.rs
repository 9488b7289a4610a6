//! `validate --fix`, `--diff` and `--unsafe-fixes`: the findings' own fixes applied to the
//! files they are about, every other byte kept. A finding contributes its first fix that may
//! be applied (safe ones only, unless `--unsafe-fixes`); the instances of one Terraform block
//! share a span, so identical edits count once, and two different edits of one place are
//! both left out (the choice is a person's).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// What the fixes make of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFix {
    pub path: String,
    pub before: String,
    pub after: String,
    /// The fixes' titles, in file order.
    pub applied: Vec<String>,
}

/// One edit: (start, end, replacement, title).
type Edit = (usize, usize, String, String);

/// The edits `diagnostics` bring, per file; files without one are left out. Linear in the
/// number of fixes (a plan of 100,000 typos is one pass).
pub fn plan_fixes(diagnostics: &[Diagnostic], unsafe_fixes: bool) -> Vec<FileFix> {
    let mut by_file: BTreeMap<String, (SourceFile, Vec<Edit>)> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for d in diagnostics {
        if !d.file.is_file() {
            continue;
        }
        let Some(fix) = d.fixes.iter().find(|f| f.safe || unsafe_fixes) else {
            continue;
        };
        let start = fix.span.offset();
        let end = start + fix.span.len();
        if !seen.insert((d.file.name(), start, end, fix.replacement.as_str())) {
            continue;
        }
        by_file
            .entry(d.file.name().to_string())
            .or_insert_with(|| (d.file.clone(), Vec::new()))
            .1
            .push((start, end, fix.replacement.clone(), fix.title.clone()));
    }
    let mut out = Vec::new();
    for (path, (file, mut edits)) in by_file {
        edits.sort();
        let kept = without_clashes(edits);
        if kept.is_empty() {
            continue;
        }
        let before = file.text();
        let mut after = String::with_capacity(before.len());
        let mut at = 0;
        for (start, end, replacement, _) in &kept {
            after.push_str(&before[at..*start]);
            after.push_str(replacement);
            at = *end;
        }
        after.push_str(&before[at..]);
        out.push(FileFix {
            path,
            before: before.to_string(),
            after,
            applied: kept.into_iter().map(|e| e.3).collect(),
        });
    }
    out
}

/// Sorted edits without those that overlap another (two edits of one place are both
/// dropped): an edit overlaps an earlier one when it starts before the furthest end so far,
/// and a later one when the next starts before it ends.
fn without_clashes(edits: Vec<Edit>) -> Vec<Edit> {
    let mut clash = vec![false; edits.len()];
    let mut furthest = 0;
    for (i, e) in edits.iter().enumerate() {
        if i > 0 && e.0 < furthest {
            clash[i] = true;
        }
        if edits.get(i + 1).is_some_and(|next| next.0 < e.1) {
            clash[i] = true;
        }
        furthest = furthest.max(e.1);
    }
    edits
        .into_iter()
        .zip(clash)
        .filter_map(|(e, c)| (!c).then_some(e))
        .collect()
}

/// Why fixes were not written.
#[derive(Debug)]
pub enum NotWritten {
    /// The file is not what the run read: someone saved it meanwhile.
    Changed(String),
    Io(String, io::Error),
}

/// Writes every file's fixes, all or none of the files: each file is first compared with
/// what the run read (a byte-order mark aside), and if any changed since, nothing is
/// written. A file keeps its byte-order mark, mode and (where allowed) owner.
pub fn write(fixes: &[FileFix]) -> Result<(), NotWritten> {
    let mut ready = Vec::new();
    for fix in fixes {
        let path = Path::new(&fix.path);
        let now = match crate::files::read_capped(path, crate::files::MAX_INPUT_BYTES) {
            Ok(bytes) => bytes,
            Err(crate::files::ReadError::Io(e)) => return Err(NotWritten::Io(fix.path.clone(), e)),
            Err(crate::files::ReadError::TooBig(_) | crate::files::ReadError::Blocked(_)) => {
                return Err(NotWritten::Changed(fix.path.clone()));
            }
        };
        const BOM: &[u8] = "\u{feff}".as_bytes();
        let bom = now.starts_with(BOM);
        let text = if bom { &now[BOM.len()..] } else { &now[..] };
        if text != fix.before.as_bytes() {
            return Err(NotWritten::Changed(fix.path.clone()));
        }
        let mut bytes = if bom { BOM.to_vec() } else { Vec::new() };
        bytes.extend_from_slice(fix.after.as_bytes());
        ready.push((path, bytes));
    }
    for (path, bytes) in ready {
        crate::files::write_atomic(path, &bytes)
            .map_err(|e| NotWritten::Io(path.display().to_string(), e))?;
    }
    Ok(())
}

/// A unified diff of one fixed file (`--- a/…`, `+++ b/…`, hunks with three lines of
/// context). Fixes never add or remove a line, so lines pair up one to one.
pub fn unified_diff(fix: &FileFix) -> String {
    let old: Vec<&str> = fix.before.split_inclusive('\n').collect();
    let new: Vec<&str> = fix.after.split_inclusive('\n').collect();
    let mut out = format!("--- a/{}\n+++ b/{}\n", fix.path, fix.path);
    if old.len() != new.len() {
        let _ = writeln!(out, "@@ -1,{} +1,{} @@", old.len(), new.len());
        for l in &old {
            push_line(&mut out, '-', l);
        }
        for l in &new {
            push_line(&mut out, '+', l);
        }
        return out;
    }
    let changed: Vec<usize> = (0..old.len()).filter(|&i| old[i] != new[i]).collect();
    let mut i = 0;
    while i < changed.len() {
        // A hunk: changes no more than six lines apart, with three lines around.
        let mut j = i;
        while j + 1 < changed.len() && changed[j + 1] - changed[j] <= 6 {
            j += 1;
        }
        let from = changed[i].saturating_sub(3);
        let to = (changed[j] + 3).min(old.len() - 1);
        let count = to - from + 1;
        let _ = writeln!(out, "@@ -{},{count} +{},{count} @@", from + 1, from + 1);
        for k in from..=to {
            if old[k] == new[k] {
                push_line(&mut out, ' ', old[k]);
            } else {
                push_line(&mut out, '-', old[k]);
                push_line(&mut out, '+', new[k]);
            }
        }
        i = j + 1;
    }
    out
}

fn push_line(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Fix, Severity};
    use miette::SourceSpan;

    fn finding(file: &SourceFile, at: &str, to: &str, safe: bool) -> Diagnostic {
        let offset = file.text().find(at).expect("text");
        let span = SourceSpan::new(offset.into(), at.len());
        let mut d = Diagnostic::in_entry("r", Severity::Error, file, span, "m".into(), "l".into());
        d.fixes.push(Fix {
            title: format!("to {to}"),
            span,
            replacement: to.to_string(),
            safe,
        });
        d
    }

    #[test]
    fn fixes_keep_every_other_byte_and_respect_safety() {
        let text = "a: g.n4.xlarg  # typo\r\nb: 20\n\tc: x";
        let file = SourceFile::new("p.yaml", text);
        let ds = [
            finding(&file, "g.n4.xlarg", "g.n4.xlarge", true),
            finding(&file, "20", "40", false),
        ];
        let fixes = plan_fixes(&ds, false);
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].after, "a: g.n4.xlarge  # typo\r\nb: 20\n\tc: x");
        let fixes = plan_fixes(&ds, true);
        assert_eq!(fixes[0].after, "a: g.n4.xlarge  # typo\r\nb: 40\n\tc: x");
        assert_eq!(fixes[0].applied.len(), 2);
    }

    #[test]
    fn the_same_edit_counts_once_and_two_different_ones_none() {
        let file = SourceFile::new("main.tf", "t = \"x\"\n");
        let same = [
            finding(&file, "\"x\"", "\"y\"", true),
            finding(&file, "\"x\"", "\"y\"", true),
        ];
        assert_eq!(plan_fixes(&same, false)[0].after, "t = \"y\"\n");
        let clash = [
            finding(&file, "\"x\"", "\"y\"", true),
            finding(&file, "\"x\"", "\"z\"", true),
        ];
        assert!(plan_fixes(&clash, false).is_empty());
    }

    #[test]
    fn overlapping_edits_are_all_dropped_and_the_rest_kept() {
        let e = |a: usize, b: usize| (a, b, String::new(), format!("{a}-{b}"));
        // [0,10) holds [2,3) and [4,5); [12,14) and [13,15) overlap; [15,16) touches only.
        let kept = without_clashes(vec![
            e(0, 10),
            e(2, 3),
            e(4, 5),
            e(12, 14),
            e(13, 15),
            e(15, 16),
            e(20, 22),
        ]);
        let titles: Vec<&str> = kept.iter().map(|k| k.3.as_str()).collect();
        assert_eq!(titles, ["15-16", "20-22"]);
    }

    #[test]
    fn diffs_show_the_changed_lines_in_context() {
        let fix = FileFix {
            path: "p.yaml".into(),
            before: "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n".into(),
            after: "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n10\n11\n12\n".into(),
            applied: vec![],
        };
        assert_eq!(
            unified_diff(&fix),
            "--- a/p.yaml\n+++ b/p.yaml\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n"
        );
    }
}
