//! `preflight permissions`: the cloud permissions preflight needs, built from the operations
//! the clients actually call (`OPERATIONS` in each client), so the list cannot drift from the
//! code. All are read-only describe calls.

use serde_json::json;

use super::Cloud;

/// The operations preflight calls on `cloud`.
pub fn operations(cloud: Cloud) -> &'static [&'static str] {
    match cloud {
        Cloud::Jdcloud => super::jdcloud::client::OPERATIONS,
        Cloud::Aliyun => super::aliyun::client::OPERATIONS,
        Cloud::Zenlayer => super::zenlayer::client::OPERATIONS,
    }
}

/// The permission names, as the cloud's policy language writes them.
pub fn actions(cloud: Cloud) -> Vec<String> {
    let service = match cloud {
        Cloud::Jdcloud | Cloud::Zenlayer => "vm",
        Cloud::Aliyun => "ecs",
    };
    operations(cloud)
        .iter()
        .map(|op| format!("{service}:{op}"))
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
            "Zenlayer: documents no policy language; give the API key access to these VM API actions",
            json!({"service": "vm", "actions": operations(cloud)}),
        ),
    };
    format!(
        "# {heading}\n{}\n",
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
        let body: serde_json::Value =
            serde_json::from_str(ali.split_once('\n').expect("heading").1).expect("JSON");
        assert_eq!(
            body["Statement"][0]["Action"].as_array().map(Vec::len),
            Some(3)
        );
        assert!(policy(Cloud::Jdcloud).contains("\"vm:describeImageConstraintsBatch\""));
        assert!(
            actions(Cloud::Jdcloud)
                .iter()
                .chain(&actions(Cloud::Aliyun))
                .all(|a| a
                    .split(':')
                    .nth(1)
                    .is_some_and(|op| op.to_ascii_lowercase().starts_with("describe"))),
            "read-only"
        );
    }
}
