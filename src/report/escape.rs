//! Control characters in the text a report shows (an ESC, BEL or NUL in a plan JSON address,
//! or in a YAML name written with escapes) are written as escapes (`\u{1b}`) in the formats a
//! terminal or a CI log shows as they are: human, compact, GitHub and Markdown. A raw ESC
//! would let an input recolour, hide or rewrite the lines a reviewer reads. Line breaks and
//! tabs stay; the structured formats (JSON, SARIF, JUnit) escape for themselves.

use super::{Case, Report};
use crate::diagnostic::Diagnostic;
use crate::text::{controls, is_hostile};

fn has(s: &str) -> bool {
    s.chars().any(is_hostile)
}

fn own(s: &str) -> String {
    controls(s).into_owned()
}

fn diagnostic_has(d: &Diagnostic) -> bool {
    [&d.message, &d.label, &d.entry, &d.rule, &d.cloud, &d.region]
        .into_iter()
        .any(|s| has(s))
        || [&d.help, &d.image, &d.instance_type, &d.zone]
            .into_iter()
            .any(|s| s.as_deref().is_some_and(has))
        || d.related.iter().any(|(_, l)| has(l))
        || d.elsewhere.iter().any(|(_, _, l)| has(l))
        || d.fixes.iter().any(|f| has(&f.title))
}

fn diagnostic(d: &Diagnostic) -> Diagnostic {
    let mut e = d.clone();
    for s in [
        &mut e.message,
        &mut e.label,
        &mut e.entry,
        &mut e.rule,
        &mut e.cloud,
        &mut e.region,
    ] {
        *s = own(s);
    }
    for s in [&mut e.help, &mut e.image, &mut e.instance_type, &mut e.zone]
        .into_iter()
        .flatten()
    {
        *s = own(s);
    }
    for (_, l) in &mut e.related {
        *l = own(l);
    }
    for (_, _, l) in &mut e.elsewhere {
        *l = own(l);
    }
    for f in &mut e.fixes {
        f.title = own(&f.title);
    }
    e
}

impl Report {
    /// The report with its text escaped, when any of it needs that; `None` when it does not.
    pub(super) fn escaped(&self) -> Option<Report> {
        let needed = self.diagnostics.iter().any(diagnostic_has)
            || self.notices.iter().any(|n| has(n))
            || self
                .cases
                .iter()
                .any(|c| has(&c.entry) || has(&c.title) || has(&c.plan) || has(&c.file));
        if !needed {
            return None;
        }
        Some(Report {
            plans: self.plans,
            inputs: self
                .inputs
                .iter()
                .map(|i| super::Input {
                    path: own(&i.path),
                    written_by: i.written_by.as_deref().map(own),
                    files: i.files.iter().map(|f| own(f)).collect(),
                })
                .collect(),
            pairings: self.pairings,
            diagnostics: self.diagnostics.iter().map(diagnostic).collect(),
            suppressed: self.suppressed,
            baselined: self.baselined,
            notices: self.notices.iter().map(|n| own(n)).collect(),
            errors: self.errors.clone(),
            requests: self.requests,
            cache_hits: self.cache_hits,
            warnings: self.warnings.clone(),
            rules: self.rules.clone(),
            cases: self
                .cases
                .iter()
                .map(|c| Case {
                    plan: own(&c.plan),
                    file: own(&c.file),
                    entry: own(&c.entry),
                    line: c.line,
                    title: own(&c.title),
                })
                .collect(),
            gate: self.gate,
            root: self.root.clone(),
        })
    }
}
