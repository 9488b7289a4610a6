//! Every rule preflight knows, built-in and from rule files, behind one catalogue: `explain`
//! and `rules` print from it, SARIF lists it, shell completion offers its ids, and the config
//! file, `--disable` and suppression comments check the ids they name against it, each with
//! the same "did you mean". Rule files are compiled by `policy` (loaded by
//! `pipeline::load_policy`: the checks do no I/O); this is where their rules meet the built-in
//! ones.

use std::collections::BTreeSet;

use super::{BUILTIN, UNVERIFIED};
use crate::config::Config;
use crate::diagnostic::Severity;
use crate::error::InputError;
use crate::plan::Suppression;
use crate::policy::Policy;
use crate::source::SourceFile;

/// The built-in rules' ids and summaries, for shell completion (which reads no rule files
/// and wants them `'static`).
pub fn builtin_summaries() -> impl Iterator<Item = (&'static str, &'static str)> {
    BUILTIN.iter().map(|r| (r.id, r.summary))
}

/// One rule, as people read about it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub severity: Severity,
    /// One line: a built-in rule's summary, a rule file's message.
    pub summary: String,
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    /// The rule file's `//!` documentation.
    Builtin(String),
    /// A rule file's description, and the file.
    File {
        description: Option<String>,
        origin: String,
    },
}

/// What an id names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Known,
    /// `unverified`: it exists, but cannot be disabled or re-ranked.
    Unverified,
    /// No rule has the id; the help names the closest one.
    Unknown {
        help: String,
    },
}

/// The rules of one run: the built-in ones, then those of its rule files.
#[derive(Debug, Clone)]
pub struct Catalog {
    entries: Vec<Entry>,
}

impl Catalog {
    pub fn new(policy: &Policy) -> Catalog {
        let builtin = BUILTIN.iter().map(|r| Entry {
            id: r.id.to_string(),
            severity: r.severity,
            summary: r.summary.to_string(),
            source: Source::Builtin(r.doc()),
        });
        let files = policy.rules.iter().map(|r| Entry {
            id: r.id.clone(),
            severity: r.severity,
            summary: r.message.clone(),
            source: Source::File {
                description: r.description.clone(),
                origin: r.origin.clone(),
            },
        });
        Catalog {
            entries: builtin.chain(files).collect(),
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    pub fn ids(&self) -> BTreeSet<String> {
        self.entries.iter().map(|e| e.id.clone()).collect()
    }

    /// What `id` names, for the places that refer to rules.
    pub fn lookup(&self, id: &str) -> Lookup {
        if id == UNVERIFIED {
            Lookup::Unverified
        } else if self.get(id).is_some() {
            Lookup::Known
        } else {
            Lookup::Unknown {
                help: self.unknown_help(id),
            }
        }
    }

    /// "did you mean" for an id no rule has.
    pub fn unknown_help(&self, id: &str) -> String {
        match crate::suggest::best(id, self.entries.iter().map(|e| e.id.as_str())) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "`preflight rules` lists every rule id".to_string(),
        }
    }
}

impl Catalog {
    /// `--disable` ids: each must name a rule, and not `unverified`.
    pub fn check_disabled(&self, ids: &[String]) -> Vec<InputError> {
        ids.iter()
            .filter_map(|id| match self.lookup(id) {
                Lookup::Known => None,
                Lookup::Unverified => Some(
                    InputError::new("input::bad-flag", "`unverified` cannot be disabled").with_help(
                        "use --allow-unverified to let unverified pairings pass; they are still shown",
                    ),
                ),
                Lookup::Unknown { help } => Some(
                    InputError::new("input::bad-flag", format!("--disable: unknown rule `{id}`"))
                        .with_help(help),
                ),
            })
            .collect()
    }

    /// The ids the config file names in `disable` and `severity`, each at its place.
    pub fn check_config(&self, config: &Config) -> Vec<InputError> {
        let Some(file) = &config.source else {
            return Vec::new();
        };
        config
            .rule_refs
            .iter()
            .filter_map(|(id, span)| match self.lookup(id) {
                Lookup::Known => None,
                Lookup::Unverified => Some(
                    InputError::at("config::bad-value", file, *span, "`unverified` cannot be disabled or re-ranked", "not allowed")
                        .with_help("set `allow_unverified: true` to let unverified pairings pass; they are still shown"),
                ),
                Lookup::Unknown { help } => Some(
                    InputError::at("config::unknown-rule", file, *span, format!("unknown rule `{id}`"), "no rule has this id")
                        .with_help(help),
                ),
            })
            .collect()
    }

    /// The ids suppression comments name: each must name a rule (`unverified` too), so a
    /// typo does not silently suppress nothing.
    pub fn check_suppressions(
        &self,
        file: &SourceFile,
        suppressions: &[Suppression],
    ) -> Vec<InputError> {
        suppressions
            .iter()
            .flat_map(|s| &s.rules)
            .filter(|rule| self.get(&rule.value).is_none())
            .map(|rule| {
                InputError::at(
                    "plan::unknown-rule",
                    file,
                    rule.span,
                    format!("unknown rule `{}` in a suppression comment", rule.value),
                    "no rule has this id",
                )
                .with_help(self.unknown_help(&rule.value))
            })
            .collect()
    }
}

impl Entry {
    /// The rule file it comes from; `None` for a built-in rule.
    pub fn origin(&self) -> Option<&str> {
        match &self.source {
            Source::Builtin(_) => None,
            Source::File { origin, .. } => Some(origin),
        }
    }

    /// Markdown documentation, as SARIF carries it.
    pub fn doc(&self) -> String {
        match &self.source {
            Source::Builtin(doc) => doc.clone(),
            Source::File {
                description,
                origin,
            } => format!(
                "# {}\n\n{}\n\n{}Defined in {origin}.\n",
                self.id,
                self.summary,
                description
                    .as_deref()
                    .map(|d| format!("{}\n\n", d.trim_end()))
                    .unwrap_or_default(),
            ),
        }
    }

    /// What `preflight explain` prints.
    pub fn explanation(&self) -> String {
        match &self.source {
            Source::Builtin(doc) => doc.clone(),
            Source::File {
                description,
                origin,
            } => {
                let mut text = format!("# {}\n\n{}\n", self.id, self.summary);
                if let Some(d) = description {
                    text.push('\n');
                    text.push_str(d.trim_end());
                    text.push('\n');
                }
                text.push_str(&format!(
                    "\nSeverity: {}. Defined in {origin}.\n",
                    self.severity
                ));
                text
            }
        }
    }

    /// The line `preflight rules` shows for it.
    pub fn listed_summary(&self) -> String {
        match self.origin() {
            None => self.summary.clone(),
            Some(origin) => format!("{} ({origin})", self.summary),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_looked_up_with_one_did_you_mean() {
        let c = Catalog::new(&Policy::default());
        assert_eq!(c.lookup("image-not-found"), Lookup::Known);
        assert_eq!(c.lookup("unverified"), Lookup::Unverified);
        assert_eq!(
            c.lookup("image-not-fond"),
            Lookup::Unknown {
                help: "did you mean `image-not-found`?".into()
            }
        );
        assert!(
            c.get("image-not-found")
                .unwrap()
                .doc()
                .contains("## What it does")
        );
        assert_eq!(c.entries().len(), BUILTIN.len());
    }
}
