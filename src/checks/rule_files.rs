//! Rules from rule files (`rules/builtin/*.yaml`, `--rules DIR`), run on each pairing beside
//! the built-in rules: `policy` compiles their globs, this turns a match into a finding at the
//! entry's instance type.

use super::Pairing;
use crate::diagnostic::Diagnostic;
use crate::plan::Side;
use crate::policy::{Policy, PolicyRule};

/// Findings of the enabled rule-file rules for one pairing.
pub fn check(policy: &Policy, p: &Pairing, enabled: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
    policy
        .rules
        .iter()
        .filter(|r| enabled(&r.id))
        .filter_map(|r| check_one(r, p))
        .collect()
}

fn check_one(rule: &PolicyRule, p: &Pairing) -> Option<Diagnostic> {
    let i = p.instance;
    // A side Terraform decides at plan time cannot be matched: its `unverified` says so.
    if !i.knows(Side::InstanceType) {
        return None;
    }
    let image = i.knows(Side::Image).then_some(i.image.value.as_str());
    let applies = rule.applies(
        p.plan.path(),
        i.cloud.value.as_str(),
        &i.region.value,
        image,
        &i.name.value,
    );
    if !applies {
        return None;
    }
    let wanted = &i.instance_type.value;
    let label = rule.refusal(wanted)?;
    let d = Diagnostic::for_instance(
        &rule.id,
        rule.severity,
        i,
        i.instance_type.span,
        format!("{} (`{wanted}`)", rule.message),
        label,
    );
    // A user's rule directory must be named again for `explain` to find the rule.
    let explain = match std::path::Path::new(&rule.origin).parent() {
        Some(dir) if !rule.origin.starts_with("rules/builtin/") && !dir.as_os_str().is_empty() => {
            format!("preflight explain {} --rules {}", rule.id, dir.display())
        }
        _ => format!("preflight explain {}", rule.id),
    };
    // The command first, so a narrow terminal does not wrap it.
    Some(d.with_help(format!(
        "`{explain}` says more (policy `{}` from {})",
        rule.id, rule.origin
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::plan;
    use crate::facts::Facts;
    use crate::source::SourceFile;

    fn ids_flagged(rules: &str, plan_text: &str) -> Vec<String> {
        let policy = Policy::from_file(&SourceFile::new("r.yaml", rules), &[]).expect("compiles");
        let plan = plan(plan_text);
        let facts = Facts::new();
        plan.instances
            .iter()
            .flat_map(|i| {
                check(
                    &policy,
                    &Pairing {
                        plan: &plan,
                        instance: i,
                        facts: &facts,
                    },
                    &|_| true,
                )
            })
            .map(|d| d.entry)
            .collect()
    }

    const PLAN: &str = "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n  - {name: web-1, image: img-a, instance_type: g.n4.large}\n  - {name: gpu, image: img-a, instance_type: p.c1p40g.large}\n  - {name: web-2, cloud: aliyun, region: cn-hangzhou, image: m-1, instance_type: g7.large}\n";

    #[test]
    fn excludes_and_when_globs() {
        let rules = "rules:\n  - id: no-gpu\n    message: no GPUs\n    when: {cloud: jdcloud, region: 'cn-*'}\n    excludes: ['p.*']\n";
        assert_eq!(ids_flagged(rules, PLAN), ["gpu"]);
    }

    #[test]
    fn includes_flag_what_matches_none() {
        let rules = "rules:\n  - id: ecs-prefix\n    message: m\n    when: {cloud: aliyun}\n    includes: ['ecs.*']\n";
        assert_eq!(ids_flagged(rules, PLAN), ["web-2"]);
    }

    #[test]
    fn instance_and_plan_globs() {
        let rules = "rules:\n  - id: web-small\n    message: m\n    when: {instance: 'web-*', plan: '*.yaml'}\n    excludes: ['*.large']\n";
        assert_eq!(ids_flagged(rules, PLAN), ["web-1", "web-2"]);
        let other_plan = "rules:\n  - id: web-small\n    message: m\n    when: {plan: 'envs/dev/**'}\n    excludes: ['*']\n";
        assert!(ids_flagged(other_plan, PLAN).is_empty());
    }
}
