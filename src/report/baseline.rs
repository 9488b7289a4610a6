//! Baselines: adopting the gate on a repository that already has findings. `preflight
//! baseline` writes the current findings by identity (rule, the plan or root, file, entry,
//! image, instance type, region: not the line, so an edit above does not revive them); `validate --baseline FILE`
//! reports only findings beyond it and counts the rest. Identities are counted: two equal
//! findings need two baseline entries. `unverified` is never baselined: it is no finding.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Report;
use crate::diagnostic::Diagnostic;
use crate::error::InputError;
use crate::source::SourceFile;

/// The file's format version. Version 2 adds the plan (root) a finding is from.
pub const VERSION: u32 = 2;

/// What a finding is, apart from where its line happens to be.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub rule: String,
    /// The plan or Terraform root the finding is from, relative to the repository root: one
    /// module called from two roots gives two identities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Relative to the repository root.
    pub file: String,
    pub entry: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    pub region: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    findings: Vec<Counted>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Counted {
    #[serde(flatten)]
    identity: Identity,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    count: u32,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// The accepted findings, counted by identity.
#[derive(Debug, Default, Clone)]
pub struct Baseline {
    accepted: BTreeMap<Identity, u32>,
}

fn identity(report: &Report, d: &Diagnostic) -> Identity {
    Identity {
        rule: d.rule.clone(),
        plan: d.plan.as_deref().map(|p| report.repo_path(p)),
        file: report.repo_path(d.file.name()),
        entry: d.entry.clone(),
        image: d.image.clone(),
        instance_type: d.instance_type.clone(),
        region: d.region.clone(),
    }
}

impl Baseline {
    /// The report's findings (not `unverified`) as a baseline file's text.
    pub fn write(report: &Report) -> (usize, String) {
        let mut counts: BTreeMap<Identity, u32> = BTreeMap::new();
        for d in report.diagnostics.iter().filter(|d| !d.unverified) {
            *counts.entry(identity(report, d)).or_default() += 1;
        }
        let total = counts.values().map(|n| *n as usize).sum();
        let file = File {
            version: VERSION,
            findings: counts
                .into_iter()
                .map(|(identity, count)| Counted { identity, count })
                .collect(),
        };
        let text = serde_json::to_string_pretty(&file).unwrap_or_default();
        (total, format!("{text}\n"))
    }

    /// Reads a baseline file; a broken one is an input error at the spot.
    pub fn read(file: &SourceFile) -> Result<Baseline, InputError> {
        let parsed: File = serde_json::from_str(file.text()).map_err(|e| {
            let at = file.offset_of(e.line(), e.column());
            InputError::at(
                "baseline::invalid",
                file,
                miette::SourceSpan::new(at.into(), 0),
                format!("invalid baseline file: {e}"),
                "here",
            )
            .with_help("`preflight baseline` writes it; write it again rather than by hand")
        })?;
        if parsed.version != VERSION {
            return Err(InputError::in_file(
                "baseline::version",
                file.name(),
                format!(
                    "this baseline is version {}; this preflight reads version {VERSION}",
                    parsed.version
                ),
            )
            .with_help("write it again with `preflight baseline`"));
        }
        let mut accepted = BTreeMap::new();
        for c in parsed.findings {
            *accepted.entry(c.identity).or_default() += c.count;
        }
        Ok(Baseline { accepted })
    }

    /// Takes out of `report` the findings the baseline accepts (as many of each identity as it
    /// counts), and counts them in `report.baselined`.
    pub fn apply(&self, report: &mut Report) {
        let mut left = self.accepted.clone();
        let mut kept = Vec::with_capacity(report.diagnostics.len());
        let diagnostics = std::mem::take(&mut report.diagnostics);
        for d in diagnostics {
            if !d.unverified
                && let Some(n) = left.get_mut(&identity(report, &d)).filter(|n| **n > 0)
            {
                *n -= 1;
                report.baselined += 1;
                continue;
            }
            kept.push(d);
        }
        report.diagnostics = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;

    fn finding(file: &SourceFile, plan: &str) -> Diagnostic {
        let mut d = Diagnostic::in_entry(
            "image-not-found",
            Severity::Error,
            file,
            miette::SourceSpan::new(0.into(), 1),
            "m".into(),
            "l".into(),
        );
        d.entry = "module.app.alicloud_instance.app".into();
        d.region = "cn-hangzhou".into();
        d.plan = Some(plan.into());
        d
    }

    #[test]
    fn one_module_from_two_roots_is_two_identities() {
        let module = SourceFile::new("modules/app/main.tf", "x");
        let report = Report {
            diagnostics: vec![finding(&module, "envs/prod"), finding(&module, "envs/dev")],
            ..Report::default()
        };
        let (total, text) = Baseline::write(&report);
        assert_eq!(total, 2);
        assert!(
            text.contains("\"plan\": \"envs/prod\"") && text.contains("\"plan\": \"envs/dev\""),
            "{text}"
        );
        // A baseline of prod alone leaves dev's finding reported.
        let only_prod = text.replace("envs/dev", "envs/elsewhere");
        let baseline = Baseline::read(&SourceFile::new("b.json", only_prod)).unwrap();
        let mut report = report;
        baseline.apply(&mut report);
        assert_eq!(report.baselined, 1);
        assert_eq!(report.diagnostics.len(), 1);
        assert_eq!(report.diagnostics[0].plan.as_deref(), Some("envs/dev"));
        // A version-1 baseline is refused with the way out.
        let old = SourceFile::new("b.json", "{\"version\": 1, \"findings\": []}");
        let err = Baseline::read(&old).map(|_| ()).unwrap_err();
        assert!(
            err.help_text()
                .unwrap_or_default()
                .contains("preflight baseline")
        );
    }
}
