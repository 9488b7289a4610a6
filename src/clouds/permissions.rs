//! `preflight permissions`: the cloud permissions preflight needs, built from the operations
//! the clients actually call (`OPERATIONS` in each client), so the list cannot drift from the
//! code. All are read-only describe calls.

use serde_json::json;

use crate::cloud::{Api, Cloud};

/// The operations preflight calls on an API.
pub fn operations(api: Api) -> &'static [&'static str] {
    super::provider::of(api).operations()
}

/// The service an API's actions are named under in the cloud's policies.
fn service(api: Api) -> &'static str {
    super::provider::of(api).permission_service()
}

/// The permission names of every API of `cloud`, as its policy language writes them.
pub fn actions(cloud: Cloud) -> Vec<String> {
    Api::ALL
        .into_iter()
        .filter(|a| a.cloud() == cloud)
        .flat_map(|api| {
            let own = operations(api)
                .iter()
                .map(move |op| format!("{}:{op}", service(api)));
            let other = super::provider::of(api)
                .other_operations()
                .iter()
                .map(|(service, op)| format!("{service}:{op}"));
            own.chain(other)
        })
        .collect()
}

/// A ready-to-paste policy for `cloud`, with a `#` comment line saying where it goes.
pub fn policy(cloud: Cloud) -> String {
    let actions = actions(cloud);
    let (heading, document) = match cloud {
        Cloud::Jdcloud => (
            "JD Cloud: an IAM custom policy (IAM console > Policies > Create, JSON)",
            json!({"Version": "3", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": ["*"]}]}),
        ),
        Cloud::Aliyun => (
            "Alibaba Cloud: a RAM custom policy (RAM console > Permissions > Policies > Create, JSON)",
            json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}),
        ),
        Cloud::Zenlayer => (
            "Zenlayer: documents no policy language; give the API key access to these actions of its VM and ZEC services",
            json!({
                "vm": operations(Api::ZenlayerVm),
                "zec": operations(Api::ZenlayerZec),
            }),
        ),
    };
    let mut out = format!(
        "# {heading}\n{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    );
    if cloud == Cloud::Aliyun {
        // The opt-in dry run calls a write action: apart, so a read-only role stays one.
        let dry = json!({"Version": "1", "Statement": [{
            "Effect": "Allow",
            "Action": [format!("ecs:{}", super::aliyun::request::RUN_INSTANCES)],
            "Resource": "*",
        }]});
        out.push_str(&format!(
            "# Alibaba Cloud, only for --dry-run: RunInstances with DryRun=true creates nothing, but the action is the write one (Terraform's own role has it)\n{}\n",
            serde_json::to_string_pretty(&dry).unwrap_or_default()
        ));
    }
    out
}

/// What the key preflight starts from needs when it assumes a role (a `RamRoleArn` profile,
/// an ini `ram_role_arn` section): `sts:AssumeRole` on that role. OIDC, the ECS instance's
/// role and `preflight credentials --check` (`GetCallerIdentity`) need no permission; the
/// role's trust policy decides who may assume it.
pub fn assume_role_policy() -> String {
    let document = json!({"Version": "1", "Statement": [{
        "Effect": "Allow",
        "Action": [format!("sts:{}", super::credentials::ASSUME_ROLE)],
        "Resource": "acs:ram::<account id>:role/<the role preflight assumes>",
    }]});
    format!(
        "# Alibaba Cloud, when preflight assumes a role (a RamRoleArn profile): the RAM policy of the key it starts from (OIDC and the ECS instance role need none: the role's trust policy decides)\n{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_name_every_operation_and_nothing_else() {
        let ali = policy(Cloud::Aliyun);
        assert!(ali.contains("\"ecs:DescribeImageSupportInstanceTypes\""));
        let first = ali.split("\n# ").next().expect("the read-only policy");
        let body: serde_json::Value =
            serde_json::from_str(first.split_once('\n').expect("heading").1).expect("JSON");
        // The dry run's write action is apart, never in the read-only policy.
        assert!(!first.contains("RunInstances"));
        assert!(ali.contains("only for --dry-run") && ali.contains("\"ecs:RunInstances\""));
        assert_eq!(
            body["Statement"][0]["Action"].as_array().map(Vec::len),
            Some(6)
        );
        assert!(ali.contains("\"ecs:DescribeAccountAttributes\""));
        assert!(ali.contains("\"ecs:DescribeAvailableResource\""));
        // A vSwitch's zone is VPC's, named under its own service.
        assert!(ali.contains("\"vpc:DescribeVSwitches\""), "{ali}");
        let zl = policy(Cloud::Zenlayer);
        assert!(zl.contains("DescribeZoneGpuInstanceConfigInfos"), "{zl}");
        assert!(policy(Cloud::Jdcloud).contains("\"vm:describeImageConstraintsBatch\""));
        assert!(
            Cloud::ALL.iter().flat_map(|c| actions(*c)).all(|a| a
                .split(':')
                .nth(1)
                .is_some_and(|op| op.to_ascii_lowercase().starts_with("describe"))),
            "read-only"
        );
    }
}
