//! The built-in rules, one file each, named after the problem they catch. Checking is pure
//! and synchronous: plans and facts in, findings out; no I/O, no clock.
//!
//! Each rule file opens with its documentation (`preflight explain RULE` prints it), then its
//! metadata (`RULE`) and a `check` function that returns early when the rule does not apply.

mod architecture_mismatch;
pub mod catalog;
mod finding;
mod image_not_found;
mod image_quota_exceeded;
mod image_unavailable;
mod instance_type_excluded;
mod instance_type_not_included;
mod instance_type_sold_out;
mod instance_type_unknown;
mod rule_files;
mod system_disk_too_small;
mod unverified;

use std::collections::BTreeMap;

use crate::cloud::{Api, ChargeType};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::{Constraint, Facts, ImageInfo, ImageState};
use crate::plan::{ImageCreate, Instance, Plan, Side};
use crate::policy::Policy;

/// A fact a rule needs; when it is missing, the pairing is `unverified` (if the rule is on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Whether the image exists, its status, architecture and minimum disk.
    Image,
    /// Which instance types the image allows (only clouds that can say).
    Constraint,
    /// Whether the instance type exists, and its architecture (the catalogue).
    InstanceType,
    /// What the region sells for the entry's charge type, and where it is in stock.
    Availability,
    /// The region's custom-image quota (only clouds that can say).
    Quota,
}

impl Need {
    /// Which sides of a pairing the fact is about.
    pub fn sides(self) -> &'static [Side] {
        match self {
            Need::Image => &[Side::Image],
            Need::Constraint => &[Side::Image, Side::InstanceType],
            Need::InstanceType | Need::Availability => &[Side::InstanceType],
            Need::Quota => &[],
        }
    }
}

/// What a rule checks.
#[derive(Clone, Copy)]
pub enum Check {
    /// One instance entry at a time.
    Pairing(fn(&Pairing) -> Option<Diagnostic>),
    /// The custom images all plans create in one region.
    Region(fn(&RegionImages) -> Option<Diagnostic>),
    /// Reports what the other enabled rules could not check.
    Unverified,
}

/// A built-in rule: its id, documentation and check.
pub struct Rule {
    pub id: &'static str,
    pub summary: &'static str,
    pub severity: Severity,
    pub needs: &'static [Need],
    /// The rule's source file; its `//!` lines are the documentation.
    source: &'static str,
    pub check: Check,
}

impl Rule {
    /// The documentation: the rule file's leading `//!` comment.
    pub fn doc(&self) -> String {
        let mut doc = String::new();
        for line in self.source.lines() {
            let Some(text) = line.strip_prefix("//!") else {
                break;
            };
            doc.push_str(text.strip_prefix(' ').unwrap_or(text));
            doc.push('\n');
        }
        doc
    }
}

/// Every built-in rule, in the order `preflight rules` lists them.
pub const BUILTIN: &[&Rule] = &[
    &instance_type_excluded::RULE,
    &instance_type_not_included::RULE,
    &image_not_found::RULE,
    &image_unavailable::RULE,
    &system_disk_too_small::RULE,
    &instance_type_unknown::RULE,
    &instance_type_sold_out::RULE,
    &architecture_mismatch::RULE,
    &image_quota_exceeded::RULE,
    &unverified::RULE,
];

/// The id of the rule that reports what could not be checked; it cannot be disabled.
pub const UNVERIFIED: &str = "unverified";

/// The built-in rules' ids, which no rule file may take.
pub fn ids() -> Vec<&'static str> {
    BUILTIN.iter().map(|r| r.id).collect()
}

pub fn builtin(id: &str) -> Option<&'static Rule> {
    BUILTIN.iter().copied().find(|r| r.id == id)
}

/// One instance entry with the facts about it.
pub struct Pairing<'a> {
    pub plan: &'a Plan,
    pub instance: &'a Instance,
    pub facts: &'a Facts,
}

impl Pairing<'_> {
    /// The API that answers for the entry.
    pub fn api(&self) -> Api {
        self.instance.api()
    }

    pub fn region(&self) -> &str {
        &self.instance.region.value
    }

    pub fn charge(&self) -> ChargeType {
        self.instance.charge()
    }

    /// Whether a rule can run on this pairing: every side its facts are about is known.
    pub fn can_check(&self, rule: &Rule) -> bool {
        rule.needs
            .iter()
            .flat_map(|n| n.sides())
            .all(|side| self.instance.knows(*side))
    }

    /// The image, when the facts say it exists.
    pub fn image(&self) -> Option<&ImageInfo> {
        if !self.instance.knows(Side::Image) {
            return None;
        }
        match self
            .facts
            .image(self.api(), self.region(), &self.instance.image.value)
        {
            Ok(ImageState::Found(info)) => Some(info),
            _ => None,
        }
    }

    /// The image's constraint, when the cloud has them and the facts know it.
    pub fn constraint(&self) -> Option<&Constraint> {
        if !self.api().knows_image_constraints() {
            return None;
        }
        self.facts
            .constraint(self.api(), self.region(), &self.instance.image.value)
            .ok()
    }

    /// A finding of `rule` at `span`.
    pub fn diagnostic(
        &self,
        rule: &Rule,
        span: miette::SourceSpan,
        message: String,
        label: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::for_instance(rule.id, rule.severity, self.instance, span, message, label)
    }

    /// A fix that writes `value` where the entry's value at `span` is written, when that is
    /// a literal in a YAML plan or a `.tf` file: never where the value came through a variable
    /// or a module argument (the edit would belong there), never in plan JSON (Terraform
    /// writes it). The value keeps the quoting it was written with, and in YAML the edit
    /// covers the scalar's own bytes only (`plan::scalar`).
    pub fn fix(
        &self,
        span: miette::SourceSpan,
        value: &str,
        title: String,
        safe: bool,
    ) -> Option<Fix> {
        let file = &self.instance.file;
        let written = file.text().get(span.offset()..span.offset() + span.len())?;
        if self.instance.origins.iter().any(|o| o.of == span) {
            return None;
        }
        let name = file.name();
        let number = value.bytes().all(|b| b.is_ascii_digit());
        let (span, replacement) = if name.ends_with(".yaml") || name.ends_with(".yml") {
            // Only the scalar's own bytes: a block scalar's span runs on to the next key.
            let (own, style) = crate::plan::scalar::locate(written)?;
            let replacement = crate::plan::scalar::render(value, style)?;
            let start = span.offset() + own.start;
            (
                miette::SourceSpan::new(start.into(), own.len()),
                replacement,
            )
        } else if name.ends_with(".tf") {
            let literal_text = written.len() >= 2
                && written.starts_with('"')
                && written.ends_with('"')
                && !written.contains("${")
                && !written[1..written.len() - 1].contains('"');
            let literal_number = written.bytes().all(|b| b.is_ascii_digit());
            match (number, literal_text, literal_number) {
                (true, _, true) => (span, value.to_string()),
                (false, true, _) => (span, format!("\"{value}\"")),
                _ => return None,
            }
        } else {
            return None;
        };
        Some(Fix {
            title,
            span,
            replacement,
            safe,
        })
    }

    /// Whether the image allows `instance_type`, when the facts can tell.
    pub fn image_allows(&self, instance_type: &str) -> Option<bool> {
        self.constraint()?.allows(instance_type)
    }

    /// Instance types of the same family as the entry's that the region offers and the
    /// image allows, for help text. Empty when the facts cannot tell.
    pub fn allowed_in_family(&self) -> Vec<String> {
        let wanted = &self.instance.instance_type.value;
        let wanted_family = family(wanted);
        let Some(constraint) = self.constraint() else {
            return Vec::new();
        };
        let offered = match self.facts.region(self.api(), self.region()) {
            Ok(region) => match &region.instance_types {
                Some(crate::facts::Fetched::Known(t)) => Some(t),
                _ => None,
            },
            Err(_) => None,
        };
        let candidates: Vec<&String> = match (constraint, offered) {
            (Constraint::Includes(allowed), None) => allowed.iter().collect(),
            (_, Some(types)) => types.offered.keys().collect(),
            _ => Vec::new(),
        };
        candidates
            .into_iter()
            .filter(|t| family(t) == wanted_family && *t != wanted)
            .filter(|t| constraint.allows(t) == Some(true))
            .take(5)
            .cloned()
            .collect()
    }
}

/// `g.n4` for `g.n4.xlarge`, `ecs.g7` for `ecs.g7.large`.
pub fn family(instance_type: &str) -> &str {
    instance_type
        .rsplit_once('.')
        .map_or(instance_type, |(f, _)| f)
}

/// The custom images every plan creates in one region, in plan order.
pub struct RegionImages<'a> {
    pub api: Api,
    pub region: &'a str,
    pub entries: Vec<&'a ImageCreate>,
    /// Custom images the plans delete there (Terraform plans), freeing quota.
    pub freed: u64,
    pub facts: &'a Facts,
}

/// What a check run found, plus what it could not check by design.
#[derive(Debug, Default)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    /// One-time remarks such as "Zenlayer has no constraint API".
    pub notices: Vec<String>,
    /// How many instance entries were checked.
    pub pairings: usize,
}

/// Runs every enabled rule, built-in and from rule files, over every plan.
pub fn run(
    plans: &[Plan],
    facts: &Facts,
    policy: &Policy,
    enabled: &dyn Fn(&str) -> bool,
) -> Outcome {
    let rules: Vec<&Rule> = BUILTIN.iter().copied().filter(|r| enabled(r.id)).collect();
    let mut out = Outcome::default();
    let needs: Vec<Need> = rules.iter().flat_map(|r| r.needs.iter().copied()).collect();
    let check_unverified = rules.iter().any(|r| matches!(r.check, Check::Unverified));

    for plan in plans {
        for instance in &plan.instances {
            out.pairings += 1;
            let pairing = Pairing {
                plan,
                instance,
                facts,
            };
            for rule in &rules {
                if let Check::Pairing(check) = rule.check
                    && pairing.can_check(rule)
                    && let Some(d) = check(&pairing)
                {
                    out.diagnostics.push(d);
                }
            }
            out.diagnostics
                .extend(rule_files::check(policy, &pairing, enabled));
            if check_unverified && let Some(d) = unverified::check_pairing(&pairing, &needs) {
                out.diagnostics.push(d);
            }
        }
    }

    for plan in plans {
        for entry in &plan.unchecked {
            if entry.pairing {
                out.pairings += 1;
            }
            if check_unverified {
                out.diagnostics.push(unverified::check_unchecked(entry));
            }
        }
    }

    for region in group_image_creates(plans, facts) {
        for rule in &rules {
            if let Check::Region(check) = rule.check
                && let Some(d) = check(&region)
            {
                out.diagnostics.push(d);
            }
        }
        if check_unverified && let Some(d) = unverified::check_region(&region, &needs) {
            out.diagnostics.push(d);
        }
    }

    out.notices = notices(plans, &needs);
    out.notices
        .extend(plans.iter().flat_map(|p| p.notices.iter().cloned()));
    out
}

fn group_image_creates<'a>(plans: &'a [Plan], facts: &'a Facts) -> Vec<RegionImages<'a>> {
    let mut groups: BTreeMap<(Api, &str), Vec<&ImageCreate>> = BTreeMap::new();
    for plan in plans {
        for image in &plan.images {
            groups
                .entry((image.api(), image.region.value.as_str()))
                .or_default()
                .push(image);
        }
    }
    let mut deleted: BTreeMap<(Api, &str), u64> = BTreeMap::new();
    for d in plans.iter().flat_map(|p| &p.deleted_images) {
        *deleted.entry((d.api, d.region.as_str())).or_default() += u64::from(d.count);
    }
    let freed =
        |api: Api, region: &str| -> u64 { deleted.get(&(api, region)).copied().unwrap_or(0) };
    groups
        .into_iter()
        .map(|((api, region), entries)| RegionImages {
            api,
            region,
            entries,
            freed: freed(api, region),
            facts,
        })
        .collect()
}

/// Said once per run: what a cloud cannot tell us, so a user knows what was not checked.
fn notices(plans: &[Plan], needs: &[Need]) -> Vec<String> {
    let mut notices = Vec::new();
    let unconstrained = plans
        .iter()
        .flat_map(|p| &p.instances)
        .filter(|i| !i.api().knows_image_constraints())
        .count();
    if unconstrained > 0 && needs.contains(&Need::Constraint) {
        notices.push(format!(
            "Zenlayer has no API that says which instance types an image allows, so {} not checked for that",
            if unconstrained == 1 { "its 1 pairing was".to_string() } else { format!("its {unconstrained} pairings were") }
        ));
    }
    for (api, what) in [
        (
            Api::Aliyun,
            "Alibaba Cloud ECS has no known API for the custom-image quota",
        ),
        (
            Api::ZenlayerZec,
            "Zenlayer Elastic Compute has no API for the custom-image quota",
        ),
    ] {
        let images: u32 = plans
            .iter()
            .flat_map(|p| &p.images)
            .filter(|i| i.api() == api)
            .map(|i| i.count)
            .sum();
        if images > 0 && needs.contains(&Need::Quota) {
            notices.push(format!(
                "{what}; the {images} custom {} the plans create there {} not checked against it",
                if images == 1 { "image" } else { "images" },
                if images == 1 { "was" } else { "were" }
            ));
        }
    }
    notices
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Builds plans and facts from text for the rules' unit tests.
    use crate::facts::Facts;
    use crate::plan::{self, Plan};
    use crate::source::SourceFile;

    pub fn plan(yaml: &str) -> Plan {
        plan::parse(SourceFile::new("plan.yaml", yaml)).expect("test plan parses")
    }

    pub fn facts(json: &str) -> Facts {
        Facts::from_json(&SourceFile::new("facts.json", json)).expect("test facts parse")
    }

    /// Runs every built-in rule over the plan and returns (rule, line, message) of each
    /// finding of `rule`.
    pub fn findings(rule: &str, yaml: &str, json: &str) -> Vec<(String, usize, String)> {
        let plans = [plan(yaml)];
        let facts = facts(json);
        super::run(&plans, &facts, &crate::policy::Policy::default(), &|_| true)
            .diagnostics
            .into_iter()
            .filter(|d| d.rule == rule)
            .map(|d| (d.rule.clone(), d.line(), d.message.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_kebab_case_and_unique_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for rule in BUILTIN {
            assert!(seen.insert(rule.id), "duplicate id {}", rule.id);
            assert!(
                rule.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{} is not kebab-case",
                rule.id
            );
            let doc = rule.doc();
            for heading in [
                "## What it does",
                "## Why it matters",
                "## Example",
                "## How to fix",
            ] {
                assert!(doc.contains(heading), "{} lacks {heading}", rule.id);
            }
        }
    }

    #[test]
    fn family_drops_the_size() {
        assert_eq!(family("g.n4.xlarge"), "g.n4");
        assert_eq!(family("ecs.g7.large"), "ecs.g7");
        assert_eq!(family("plain"), "plain");
    }
}
