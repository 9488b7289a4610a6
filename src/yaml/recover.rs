//! Reading a file past its first error. serde stops at the first key or value it cannot take,
//! so a plan with three typos would be fixed one run at a time. Here, after each error, the
//! smallest part of the YAML that holds it (the key and its value for an unknown or repeated
//! key or a wrong value, else the whole entry of a top-level list, else the whole top-level
//! key) is blanked out with spaces, so that every offset stays where it was, and the file is
//! read again, until it reads or nothing more can be cut (a syntax error, anchors, a cap). What the last reading
//! gives goes on to the file's own checks, so they speak too; what was cut tells them what not
//! to repeat (a plan entry whose `clod:` was cut does not also "have no cloud").

use std::collections::HashMap;
use std::ops::Range;

use serde_saphyr::granit_parser::{Event, Parser};

use serde::de::DeserializeOwned;

use crate::error::{InputError, Kind};
use crate::source::SourceFile;

/// Past this many errors in one file, the rest is not read: a file this broken is better
/// fixed from the top.
pub(crate) const MAX_ERRORS: usize = 100;

/// Each reading is another pass over the whole file: past this many bytes read in all, the
/// rest is not read (a large generated plan with an error in every entry would otherwise take
/// minutes to say what its first errors already say).
pub(crate) const MAX_BYTES_READ: usize = 64 * 1024 * 1024;

/// What reading a file gave: the value when some reading succeeded, and every structural
/// error found on the way.
pub struct Recovered<T> {
    pub value: Option<T>,
    pub errors: Vec<InputError>,
    pub cut: Cut,
}

/// What was cut out, so that the file's own checks do not say it again.
#[derive(Default)]
pub struct Cut {
    /// A plan's `defaults` had an error: the entries' missing cloud or region is not theirs to
    /// report.
    pub defaults: bool,
    /// Per entry (by where its mapping starts), the keys its unknown keys were likely meant to
    /// be: their absence is the same typo, not a second error.
    pub meant: HashMap<usize, Vec<String>>,
    /// The names (their `name` key) of entries cut whole, by top-level list, with where each
    /// is written: a name used twice is still said beside the error that cut one of them.
    pub names: Vec<(String, String, Range<usize>)>,
}

impl Cut {
    /// Whether a key cut from the entry whose mapping starts at `entry` was likely meant to be
    /// `key`: its absence is that typo, not another error.
    pub fn meant(&self, entry: usize, key: &str) -> bool {
        self.meant
            .get(&entry)
            .is_some_and(|keys| keys.iter().any(|k| k == key))
    }
}

/// Reads `source` as a `T` with serde-saphyr, again and again past each error; errors are of
/// `kind`.
pub fn read<T: DeserializeOwned>(source: &SourceFile, kind: Kind) -> Recovered<T> {
    let mut text = source.text().to_string();
    let mut errors = Vec::new();
    let mut cut = Cut::default();
    let mut last_spot = None;
    let mut bytes_read = 0;
    loop {
        bytes_read += text.len();
        let err = match serde_saphyr::from_str_with_options::<T>(&text, super::options()) {
            Ok(value) => {
                return Recovered {
                    value: Some(value),
                    errors,
                    cut,
                };
            }
            Err(e) => e,
        };
        // The error is described in the text as read (a missing key is placed by looking
        // around its entry, which must not see the entries cut before it), and shown in the
        // file as written: the offsets are the same.
        let read = SourceFile::new(source.name(), text.clone());
        let error = super::from_error(kind, &read, &err).shown_in(source);
        let spot = error.span().map(|s| s.offset());
        let plan = tree(&text);
        let step = match (spot, &plan) {
            (Some(at), Some(plan)) if spot != last_spot => where_to_cut(plan, &text, at, &err),
            _ => None,
        };
        let Some(step) = step else {
            errors.push(error);
            return Recovered {
                value: None,
                errors,
                cut,
            };
        };
        if !step.echoes(&cut, &err) {
            errors.push(error);
        }
        if errors.len() >= MAX_ERRORS || bytes_read >= MAX_BYTES_READ {
            errors.push(too_many(source.name(), kind.name(), errors.len()));
            return Recovered {
                value: None,
                errors,
                cut,
            };
        }
        blank(&mut text, step.range.clone());
        step.note(&mut cut, &err);
        last_spot = spot;
    }
}

/// The note that reading stopped at a cap, after `count` errors in `file` (a `what`: "plan").
pub(crate) fn too_many(file: &str, what: &str, count: usize) -> InputError {
    InputError::in_file(
        "input::too-many-errors",
        file,
        format!("preflight stopped reading the {what} after {count} errors"),
    )
    .with_help("fix these and run again: the rest of the file was not read")
}

/// One cut: the bytes to blank and what they were.
struct Step {
    range: Range<usize>,
    what: What,
}

enum What {
    /// One key of an entry of a top-level list (identified by where the entry's mapping
    /// starts), or of the top-level mapping `top`; `key` is the key cut.
    Key {
        entry: Option<usize>,
        top: String,
        key: Option<String>,
    },
    /// A whole entry of the top-level list `list`, and its name where it has one.
    Entry {
        entry: usize,
        list: String,
        name: Option<(String, Range<usize>)>,
    },
    /// A top-level key and its value, whole.
    Whole { top: String },
}

impl Step {
    /// A missing key that an unknown key cut from the same entry was likely meant to be.
    fn echoes(&self, cut: &Cut, err: &serde_saphyr::Error) -> bool {
        let serde_saphyr::Error::SerdeMissingField { field, .. } = err.without_snippet() else {
            return false;
        };
        let What::Entry { entry, .. } = self.what else {
            return false;
        };
        cut.meant(entry, field)
    }

    fn note(self, cut: &mut Cut, err: &serde_saphyr::Error) {
        match self.what {
            What::Key {
                entry: Some(entry),
                key,
                ..
            } => {
                use serde_saphyr::Error as E;
                // What the cut key's absence will look like: for an unknown key, the key it
                // was likely meant to be; for a wrong value, the key itself.
                let meant = match err.without_snippet() {
                    E::SerdeUnknownField {
                        field, expected, ..
                    } => crate::suggest::best(field, expected.iter().copied()).map(str::to_string),
                    E::DuplicateMappingKey { .. } => None,
                    _ => key,
                };
                cut.meant.entry(entry).or_default().extend(meant);
            }
            What::Key {
                entry: None, top, ..
            }
            | What::Whole { top } => {
                cut.defaults |= top == "defaults";
            }
            What::Entry { list, name, .. } => {
                if let Some((name, at)) = name {
                    cut.names.push((list, name, at));
                }
            }
        }
    }
}

/// Where to cut for an error at `at`: the smallest part of the file that holds it, and only
/// a part the parser read to its end.
fn where_to_cut(file: &Node, text: &str, at: usize, err: &serde_saphyr::Error) -> Option<Step> {
    use serde_saphyr::Error as E;
    let one_key = matches!(
        err.without_snippet(),
        E::SerdeUnknownField { .. } | E::DuplicateMappingKey { .. }
    );
    let Body::Map(pairs) = &file.body else {
        return None;
    };
    let (key, value) = holding(pairs, at)?;
    let top = key.scalar.clone().unwrap_or_default();
    match &value.body {
        Body::Map(pairs) if one_key && pairs.len() > 1 => match holding(pairs, at) {
            Some((k, v)) => pair_step(
                text,
                k,
                v,
                What::Key {
                    entry: None,
                    top,
                    key: k.scalar.clone(),
                },
            ),
            None => pair_step(text, key, value, What::Whole { top }),
        },
        Body::Seq(items) => {
            let Some(item) = items
                .iter()
                .find(|i| entry_start(text, i) <= at && at < i.end)
            else {
                return pair_step(text, key, value, What::Whole { top });
            };
            let entry = item.start;
            let Body::Map(pairs) = &item.body else {
                return item_step(
                    text,
                    item,
                    What::Entry {
                        entry,
                        list: top,
                        name: None,
                    },
                );
            };
            // An unknown or repeated key, or a wrong value: that key alone. A missing key is
            // the entry's as a whole.
            let missing = matches!(err.without_snippet(), E::SerdeMissingField { .. });
            if !missing
                && pairs.len() > 1
                && let Some((k, v)) = holding(pairs, at)
                && (one_key || at >= v.start)
            {
                return pair_step(
                    text,
                    k,
                    v,
                    What::Key {
                        entry: Some(entry),
                        top,
                        key: k.scalar.clone(),
                    },
                );
            }
            let name = pairs
                .iter()
                .find(|(k, _)| k.scalar.as_deref() == Some("name"))
                .and_then(|(_, v)| Some((v.scalar.clone()?, v.start..v.end)));
            item_step(
                text,
                item,
                What::Entry {
                    entry,
                    list: top,
                    name,
                },
            )
        }
        _ => pair_step(text, key, value, What::Whole { top }),
    }
}

/// Cutting an entry of a list, with its `- ` or the comma after it.
fn item_step(text: &str, item: &Node, what: What) -> Option<Step> {
    item.complete.then(|| Step {
        range: entry_start(text, item)..after_comma(text, item.end),
        what,
    })
}

/// The key and value of `pairs` that `at` lies in.
fn holding(pairs: &[(Node, Node)], at: usize) -> Option<&(Node, Node)> {
    pairs
        .iter()
        .find(|(k, v)| k.start <= at && at < v.end.max(k.end))
}

/// Cutting a key and its value, with the comma after them in a flow mapping.
fn pair_step(text: &str, key: &Node, value: &Node, what: What) -> Option<Step> {
    (key.complete && value.complete).then(|| Step {
        range: key.start..after_comma(text, value.end.max(key.end)),
        what,
    })
}

/// Where an entry of a list starts: its `- ` in a block list, else the entry itself.
fn entry_start(text: &str, item: &Node) -> usize {
    let before = text[..item.start].trim_end_matches([' ', '\t']);
    if before.ends_with('-') {
        before.len() - 1
    } else {
        item.start
    }
}

/// `end`, or past the comma that follows it on the same line (a flow collection's separator:
/// left behind, `{ , name: a }` would not read).
fn after_comma(text: &str, end: usize) -> usize {
    let rest = &text[end..];
    let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    if rest[spaces..].starts_with(',') {
        end + spaces + 1
    } else {
        end
    }
}

/// Spaces for every character in `range` but line breaks: the YAML around reads as before
/// and every offset stays the same.
pub(crate) fn blank(text: &mut String, range: Range<usize>) {
    let spaces: String = text[range.clone()]
        .chars()
        .flat_map(|c| {
            let keep = matches!(c, '\n' | '\r');
            std::iter::repeat_n(
                if keep { c } else { ' ' },
                if keep { 1 } else { c.len_utf8() },
            )
        })
        .collect();
    text.replace_range(range, &spaces);
}

/// A YAML node, with where it starts and ends. `complete` is false for a node the parser
/// stopped inside (a syntax error further down): only complete nodes are cut.
struct Node {
    start: usize,
    end: usize,
    complete: bool,
    /// The text of a scalar (keys are looked up by it).
    scalar: Option<String>,
    body: Body,
}

enum Body {
    Scalar,
    Map(Vec<(Node, Node)>),
    Seq(Vec<Node>),
}

/// Deeper than any plan, far less deep than the stack allows.
const MAX_DEPTH: usize = 64;

/// The document's tree, as far as the parser reads it; `None` where cutting would be unsafe:
/// anchors and aliases (a cut anchor breaks its aliases), more than one document, nesting
/// past `MAX_DEPTH`, or not even a first node.
fn tree(text: &str) -> Option<Node> {
    let mut events = Events {
        parser: Parser::new_from_str(text),
        stopped: None,
    };
    loop {
        match events.next()? {
            (Event::StreamStart | Event::DocumentStart(..), _, _) => {}
            first => {
                let node = node(&mut events, first, 0)?;
                // One document, and nothing after it.
                loop {
                    match events.next() {
                        Some((Event::DocumentEnd | Event::StreamEnd, _, _)) => {}
                        None => break,
                        Some(_) => return None,
                    }
                }
                return Some(node);
            }
        }
    }
}

struct Events<'a> {
    parser: Parser<'a, serde_saphyr::granit_parser::StrInput<'a>>,
    /// Where the parser gave up, once it has.
    stopped: Option<usize>,
}

impl<'a> Events<'a> {
    fn next(&mut self) -> Option<(Event<'a>, usize, usize)> {
        if self.stopped.is_some() {
            return None;
        }
        match self.parser.next() {
            Some(Ok((event, span))) => {
                let start = span.start.byte_offset()?;
                let end = span.end.byte_offset()?;
                Some((event, start, end))
            }
            Some(Err(e)) => {
                self.stopped = Some(e.marker().byte_offset().unwrap_or(0));
                None
            }
            None => {
                self.stopped = Some(usize::MAX);
                None
            }
        }
    }
}

/// The node that starts with `first`.
fn node(events: &mut Events, first: (Event, usize, usize), depth: usize) -> Option<Node> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (event, start, end) = first;
    let leaf = |scalar| Node {
        start,
        end,
        complete: true,
        scalar,
        body: Body::Scalar,
    };
    match event {
        Event::Scalar(value, _, 0, _) => Some(leaf(Some(value.into_owned()))),
        Event::MappingStart(_, 0, _) => {
            let mut pairs = Vec::new();
            loop {
                let Some(next) = events.next() else {
                    return Some(unfinished(start, Body::Map(pairs), events));
                };
                if let (Event::MappingEnd, _, end) = next {
                    return Some(finished(start, end, Body::Map(pairs)));
                }
                let key = node(events, next, depth + 1)?;
                let Some(next) = events.next() else {
                    pairs.push((key, unfinished(end, Body::Scalar, events)));
                    return Some(unfinished(start, Body::Map(pairs), events));
                };
                let value = node(events, next, depth + 1)?;
                pairs.push((key, value));
            }
        }
        Event::SequenceStart(_, 0, _) => {
            let mut items = Vec::new();
            loop {
                let Some(next) = events.next() else {
                    return Some(unfinished(start, Body::Seq(items), events));
                };
                if let (Event::SequenceEnd, _, end) = next {
                    return Some(finished(start, end, Body::Seq(items)));
                }
                items.push(node(events, next, depth + 1)?);
            }
        }
        // An anchor, an alias, or anything else: not safe to cut around.
        _ => None,
    }
}

fn finished(start: usize, end: usize, body: Body) -> Node {
    Node {
        start,
        end,
        complete: true,
        scalar: None,
        body,
    }
}

/// A collection the parser stopped inside: it reaches to where the parser stopped.
fn unfinished(start: usize, body: Body, events: &Events) -> Node {
    Node {
        start,
        end: events.stopped.unwrap_or(usize::MAX).max(start),
        complete: false,
        scalar: None,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        let r = read::<crate::plan::RawPlan>(&SourceFile::new("p.yaml", text), Kind::Plan);
        r.errors
            .iter()
            .map(|e| {
                let at = e.position().map_or(0, |p| p.line);
                format!("{at}: {}", e.message())
            })
            .collect()
    }

    const TWO_TYPOS: &str = "instances:\n  - name: a\n    imagee: i\n    instance_type: t\n  - name: b\n    image: i\n    instance_typ: t\n    zone: [1\n";

    #[test]
    fn an_unknown_key_in_each_of_two_entries_is_two_errors_and_their_missing_keys_none() {
        let text = "instances:\n  - name: a\n    imagee: i\n    instance_type: t\n  - name: b\n    image: i\n    instance_typ: t\n";
        assert_eq!(
            errors(text),
            ["3: unknown key `imagee`", "7: unknown key `instance_typ`"]
        );
    }

    #[test]
    fn a_syntax_error_after_an_unknown_key_is_said_too() {
        let e = errors(TWO_TYPOS);
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].starts_with("3: unknown key `imagee`"), "{e:?}");
        assert!(e[1].starts_with("7: unknown key `instance_typ`"), "{e:?}");
    }

    #[test]
    fn two_unknown_keys_in_one_entry_are_both_said() {
        let text = "instances:\n  - name: a\n    imagee: i\n    typo: x\n    instance_type: t\n";
        assert_eq!(
            errors(text),
            ["3: unknown key `imagee`", "4: unknown key `typo`"]
        );
    }

    #[test]
    fn a_wrong_value_is_cut_alone_and_the_rest_is_still_read() {
        let text = "instances:\n  - name: a\n    image: i\n    instance_type: t\n    count: three\n  - {name: b, image: i, instance_type: t, cont: 2}\n";
        let e = errors(text);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("5: "), "{e:?}");
        assert_eq!(e[1], "6: unknown key `cont`");
    }

    #[test]
    fn a_wrong_value_and_a_typo_in_one_entry_are_both_said_and_a_required_one_not_also_missing() {
        let text = "instances:\n  - name: a\n    image: [1]\n    instance_type: t\n    system_disk_gb: big\n    data_disks: [{category: c, size: 1}]\n";
        let e = errors(text);
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].starts_with("3: "), "{e:?}");
        assert!(e[1].starts_with("5: "), "{e:?}");
        assert_eq!(e[2], "6: unknown key `size`");
        assert!(!e.iter().any(|m| m.contains("missing")), "{e:?}");
    }

    #[test]
    fn a_file_past_the_cap_says_where_reading_stopped() {
        let mut text = "instances:\n".to_string();
        for i in 0..150 {
            text.push_str(&format!(
                "  - {{name: n{i}, image: i, instance_type: t, typo: 1}}\n"
            ));
        }
        let r = read::<crate::plan::RawPlan>(&SourceFile::new("p.yaml", text), Kind::Plan);
        assert!(r.value.is_none());
        assert_eq!(r.errors.len(), MAX_ERRORS + 1);
        let last = r.errors.last().expect("the note");
        assert_eq!(last.code(), "input::too-many-errors");
        assert!(
            last.message().contains("after 100 errors"),
            "{}",
            last.message()
        );
    }

    #[test]
    fn flow_entries_are_cut_with_their_commas() {
        let text = "instances: [{name: a, imagee: i, instance_type: t}, {name: b, image: i, instance_type: t, typo: 1}]\n";
        assert_eq!(
            errors(text),
            ["1: unknown key `imagee`", "1: unknown key `typo`"]
        );
    }

    #[test]
    fn a_clean_reading_after_the_cuts_returns_the_rest_of_the_plan() {
        let text = "defaults:\n  clod: aliyun\ninstances:\n  - name: a\n    image: i\n    instance_type: t\n";
        let r = read::<crate::plan::RawPlan>(&SourceFile::new("p.yaml", text), Kind::Plan);
        assert_eq!(r.errors.len(), 1);
        assert!(r.cut.defaults);
        assert_eq!(r.value.unwrap().instances.unwrap().get().len(), 1);
    }

    #[test]
    fn anchors_stop_at_the_first_error() {
        let text = "defaults: &d\n  cloud: aliyun\ninstances:\n  - name: a\n    imagee: i\n  - name: b\n    typo: 1\n";
        assert_eq!(errors(text), ["5: unknown key `imagee`"]);
    }

    #[test]
    fn blanking_keeps_offsets_and_line_breaks() {
        let mut t = "a: é\nb: 1\n".to_string();
        blank(&mut t, 0..8);
        assert_eq!(t, "     \n   1\n");
        assert_eq!(t.len(), "a: é\nb: 1\n".len());
    }
}
