//! Rule files: declarative policies on (plan, cloud, region, image, entry) → instance type,
//! written as globs (globset syntax) in the clouds' own includes/excludes terms. The packs in
//! `rules/builtin/` are compiled into the binary and always on; `--rules DIR` adds more.
//! Every glob is compiled once, here; a broken rule file is an input error with a span. This
//! module only compiles: `checks::rule_files` runs the rules, and `checks::catalog` lists
//! them with the built-in ones.

use std::collections::HashMap;
use std::path::Path;

use globset::GlobSet;

use crate::globs::Matcher;
use miette::SourceSpan;
use serde::Deserialize;

use crate::diagnostic::Severity;
use crate::error::{self, InputError};
use crate::files::Reader;
use crate::plan::Sp;
use crate::source::SourceFile;

/// The packs shipped in `rules/builtin/`, compiled in so they work wherever the binary goes.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[(
    "rules/builtin/clouds.yaml",
    include_str!("../rules/builtin/clouds.yaml"),
)];

/// Every rule from every rule file, ready to match.
#[derive(Debug, Default)]
pub struct Policy {
    pub rules: Vec<PolicyRule>,
}

/// One rule from a rule file.
#[derive(Debug)]
pub struct PolicyRule {
    pub id: String,
    pub message: String,
    pub description: Option<String>,
    pub severity: Severity,
    /// The rule file it came from.
    pub origin: String,
    when: When,
    includes: Option<Patterns>,
    excludes: Option<Patterns>,
}

#[derive(Debug, Default)]
struct When {
    plan: Option<Matcher>,
    cloud: Option<Matcher>,
    region: Option<Matcher>,
    image: Option<Matcher>,
    instance: Option<Matcher>,
}

#[derive(Debug)]
struct Patterns {
    set: GlobSet,
    sources: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    rules: Vec<Sp<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Sp<String>,
    message: Sp<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    severity: Option<Sp<String>>,
    #[serde(default)]
    when: Option<RawWhen>,
    #[serde(default)]
    includes: Option<Sp<Vec<Sp<String>>>>,
    #[serde(default)]
    excludes: Option<Sp<Vec<Sp<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    plan: Option<Sp<String>>,
    cloud: Option<Sp<String>>,
    region: Option<Sp<String>>,
    image: Option<Sp<String>>,
    instance: Option<Sp<String>>,
}

impl Policy {
    /// The built-in packs plus every `*.yaml`/`*.yml` file in `dirs`. All problems in all
    /// files are returned together.
    /// Compiles the built-in packs and the rule files in `dirs`; `reserved` are the ids a
    /// rule file may not take (the built-in rules').
    pub fn load(
        dirs: &[impl AsRef<Path>],
        reserved: &[&str],
        reader: Reader,
    ) -> Result<Policy, Vec<InputError>> {
        let mut files: Vec<SourceFile> = BUILTIN_PACKS
            .iter()
            .map(|(name, text)| SourceFile::new(*name, *text))
            .collect();
        let mut errors = Vec::new();
        for dir in dirs {
            match read_dir(dir.as_ref(), reader) {
                Ok(mut found) => files.append(&mut found),
                Err(e) => errors.push(e),
            }
        }
        let mut policy = Policy::default();
        let mut seen: HashMap<String, (SourceFile, SourceSpan)> = HashMap::new();
        for file in &files {
            match compile_file(file, reserved) {
                Ok(rules) => {
                    for (rule, span) in rules {
                        if let Some((first_file, first_span)) = seen.get(&rule.id) {
                            let mut e = InputError::at(
                                "rules::duplicate-id",
                                file,
                                span,
                                format!("rule `{}` is defined twice", rule.id),
                                "defined again here",
                            );
                            e = if first_file.name() == file.name() {
                                e.with_label(*first_span, "first defined here")
                            } else {
                                e.with_help(format!("it is also defined in {}", first_file.name()))
                            };
                            errors.push(e);
                            continue;
                        }
                        seen.insert(rule.id.clone(), (file.clone(), span));
                        policy.rules.push(rule);
                    }
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, id: &str) -> Option<&PolicyRule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

impl PolicyRule {
    /// Whether the rule's `when` globs all match an entry: its plan's path, cloud, region,
    /// image (`None` when not known yet, which a rule with an `image` glob cannot match) and
    /// name.
    pub fn applies(
        &self,
        plan: &str,
        cloud: &str,
        region: &str,
        image: Option<&str>,
        entry: &str,
    ) -> bool {
        let matches =
            |m: &Option<Matcher>, value: &str| m.as_ref().is_none_or(|g| g.is_match(value));
        let image_matches = match (&self.when.image, image) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(_), Some(image)) => matches(&self.when.image, image),
        };
        matches(&self.when.plan, plan.trim_start_matches("./"))
            && matches(&self.when.cloud, cloud)
            && matches(&self.when.region, region)
            && image_matches
            && matches(&self.when.instance, entry)
    }

    /// Why the rule refuses `instance_type` (the pattern it matches, or those it matches
    /// none of); `None` when it allows it.
    pub fn refusal(&self, instance_type: &str) -> Option<String> {
        if let Some(excl) = &self.excludes
            && let Some(&hit) = excl.set.matches(instance_type).first()
        {
            Some(format!("matches excluded pattern `{}`", excl.sources[hit]))
        } else if let Some(incl) = &self.includes
            && !incl.set.is_match(instance_type)
        {
            let patterns: Vec<&str> = incl.sources.iter().map(String::as_str).collect();
            Some(format!(
                "matches none of {}",
                crate::suggest::quoted_list(&patterns)
            ))
        } else {
            None
        }
    }
}

fn read_dir(dir: &Path, reader: Reader) -> Result<Vec<SourceFile>, InputError> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        InputError::new(
            "rules::unreadable",
            format!(
                "cannot read rule directory `{shown}`: {}",
                crate::files::io_reason(&e)
            ),
        )
        .with_help("--rules takes a directory of *.yaml rule files")
    })?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        // Anything but a directory: a FIFO or a broken link named `*.yaml` is read, and says
        // what is wrong with it, rather than being passed over.
        .filter(|p| !p.is_dir() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| reader.read_source(&p, error::Kind::Rules))
        .collect()
}

impl Policy {
    /// The rules of one rule file alone (tests and tools; `Policy::load` reads directories).
    pub fn from_file(file: &SourceFile, reserved: &[&str]) -> Result<Policy, Vec<InputError>> {
        compile_file(file, reserved).map(|rules| Policy {
            rules: rules.into_iter().map(|(r, _)| r).collect(),
        })
    }
}

/// Compiles one rule file (for tools and fuzzing; `Policy::load` reads directories).
pub fn compile_source(file: &SourceFile, reserved: &[&str]) -> Result<usize, Vec<InputError>> {
    compile_file(file, reserved).map(|rules| rules.len())
}

fn compile_file(
    file: &SourceFile,
    reserved: &[&str],
) -> Result<Vec<(PolicyRule, SourceSpan)>, Vec<InputError>> {
    let (raw, unread, cut) = crate::yaml::read_all::<RawFile>(file, error::Kind::Rules);
    let Some(raw) = raw else {
        return Err(unread);
    };
    let mut errors = Vec::new();
    let mut rules = Vec::new();
    for r in raw.rules {
        // A rule whose `exclude:` was cut as a typo does not also lack `excludes`.
        let at = r.span(file).offset();
        let cut_patterns = cut.meant(at, "includes") || cut.meant(at, "excludes");
        match compile_rule(file, r.into_inner(), reserved, cut_patterns) {
            Ok(rule) => rules.push(rule),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() && unread.is_empty() {
        Ok(rules)
    } else {
        Err(crate::yaml::in_order(unread, errors))
    }
}

fn compile_rule(
    file: &SourceFile,
    r: RawRule,
    reserved: &[&str],
    cut_patterns: bool,
) -> Result<(PolicyRule, SourceSpan), Vec<InputError>> {
    let mut errors = Vec::new();
    let id_span = r.id.span(file);
    let id = r.id.get().clone();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errors.push(
            InputError::at("rules::bad-id", file, id_span, format!("rule id `{id}` is not kebab-case"), "here")
                .with_help("use lowercase letters, digits and dashes, named after the problem: `no-gpu-in-dev`"),
        );
    } else if reserved.contains(&id.as_str()) {
        errors.push(InputError::at(
            "rules::duplicate-id",
            file,
            id_span,
            format!("`{id}` is a built-in rule"),
            "choose another id",
        ));
    }
    let severity = match &r.severity {
        None => Severity::Error,
        Some(s) => s.get().parse().unwrap_or_else(|msg: String| {
            let mut e = InputError::at(
                "rules::bad-severity",
                file,
                s.span(file),
                msg,
                "not a severity",
            );
            if let Some(best) = crate::suggest::best(s.get(), ["error", "warning", "note"]) {
                e = e.with_help(format!("did you mean `{best}`?"));
            }
            errors.push(e);
            Severity::Error
        }),
    };
    let mut glob = |g: &Option<Sp<String>>, literal_separator: bool| -> Option<Matcher> {
        let g = g.as_ref()?;
        match crate::globs::matcher(g.get(), literal_separator) {
            Ok(m) => Some(m),
            Err(why) => {
                errors.push(bad_glob(file, g, &why));
                None
            }
        }
    };
    let when = match &r.when {
        Some(w) => When {
            plan: glob(&w.plan, true),
            cloud: glob(&w.cloud, false),
            region: glob(&w.region, false),
            image: glob(&w.image, false),
            instance: glob(&w.instance, false),
        },
        None => When::default(),
    };
    let mut patterns = |list: &Option<Sp<Vec<Sp<String>>>>| -> Option<Patterns> {
        let list = list.as_ref()?;
        let sources: Vec<String> = list.get().iter().map(|p| p.get().clone()).collect();
        match crate::globs::set(&sources) {
            Ok(set) => Some(Patterns { set, sources }),
            Err(bad) => {
                for (i, why) in bad {
                    errors.push(bad_glob(file, &list.get()[i], &why));
                }
                None
            }
        }
    };
    let includes = patterns(&r.includes);
    let excludes = patterns(&r.excludes);
    if r.includes.is_none() && r.excludes.is_none() && !cut_patterns {
        errors.push(
            InputError::at("rules::no-patterns", file, id_span, format!("rule `{id}` has neither `includes` nor `excludes`"), "matches nothing")
                .with_help("add `excludes: [\"pattern\"]` (types to refuse) or `includes: [\"pattern\"]` (the only types to allow)"),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        PolicyRule {
            id,
            message: r.message.get().clone(),
            description: r.description,
            severity,
            origin: file.name().to_string(),
            when,
            includes,
            excludes,
        },
        id_span,
    ))
}

fn bad_glob(file: &SourceFile, at: &Sp<String>, why: &str) -> InputError {
    InputError::at(
        "rules::bad-glob",
        file,
        at.span(file),
        format!("invalid glob `{}`: {why}", at.get()),
        "not a valid glob",
    )
    .with_help("patterns use globset syntax: `*`, `?`, `[abc]`, `{a,b}`, `**` in paths")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(text: &str) -> Result<Vec<PolicyRule>, Vec<InputError>> {
        compile_file(&SourceFile::new("r.yaml", text), &["image-not-found"])
            .map(|v| v.into_iter().map(|(r, _)| r).collect())
    }

    #[test]
    fn broken_rules_point_at_the_spot() {
        let err =
            compile("rules:\n  - id: x\n    message: m\n    excludes: ['p.[']\n").unwrap_err();
        assert_eq!(err[0].code(), "rules::bad-glob");
        assert_eq!(err[0].position().map(|p| p.line), Some(4));
        let err =
            compile("rules:\n  - id: Bad_Id\n    message: m\n    excludes: ['x']\n").unwrap_err();
        assert_eq!(err[0].code(), "rules::bad-id");
        let err = compile("rules:\n  - id: image-not-found\n    message: m\n    excludes: ['x']\n")
            .unwrap_err();
        assert_eq!(err[0].code(), "rules::duplicate-id");
        let err =
            compile("rules:\n  - id: x\n    message: m\n    severity: eror\n    excludes: ['x']\n")
                .unwrap_err();
        assert_eq!(err[0].help_text(), Some("did you mean `error`?"));
        let err = compile("rules:\n  - id: x\n    message: m\n").unwrap_err();
        assert_eq!(err[0].code(), "rules::no-patterns");
    }

    #[test]
    fn builtin_packs_compile() {
        let policy =
            Policy::load(&[] as &[&str], &[], Reader::DISK).expect("built-in packs compile");
        assert!(!policy.rules.is_empty());
    }

    #[test]
    fn every_shipped_builtin_file_is_compiled_in() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/builtin");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("rules/builtin exists")
            .map(|e| {
                format!(
                    "rules/builtin/{}",
                    e.expect("entry").file_name().to_string_lossy()
                )
            })
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = BUILTIN_PACKS.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn shipped_examples_compile() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/examples");
        Policy::load(&[dir], &[], Reader::DISK).expect("examples compile");
    }
}
