//! Property tests: whatever bytes a server sends, with any status, each cloud's classifier
//! and answer parsers never panic.

use preflight::clouds::http::{Class, Response};
use proptest::prelude::*;

fn classify(cloud: u8, status: u16, body: Vec<u8>) -> Class {
    let r = Response {
        status,
        headers: Default::default(),
        body,
    };
    match cloud % 3 {
        0 => preflight::clouds::jdcloud::request::classify(&r),
        1 => preflight::clouds::aliyun::request::classify(&r),
        _ => preflight::clouds::zenlayer::request::classify(&r),
    }
}

/// JSON-ish bodies: mostly valid JSON values of the clouds' shapes, sometimes garbage.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-zA-Z0-9._ -]{0,12}".prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "result",
                    "images",
                    "imageConstraints",
                    "imageId",
                    "status",
                    "error",
                    "code",
                    "Code",
                    "response",
                    "dataSet",
                    "quotas",
                    "resourceType",
                    "used",
                    "limit",
                    "InstanceTypes",
                    "InstanceType",
                    "InstanceTypeId",
                    "count",
                    "maxCount",
                    "zoneId",
                    "regionId",
                    "imageRegionQuota",
                    "imageInstanceTypeConstraint",
                    "constraintsType",
                    "instanceTypes",
                    "architecture",
                    "offline",
                ])
                .prop_map(str::to_string),
                inner,
                0..6,
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    prop_oneof![
        4 => value.prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_answer_is_classified_and_parsed_without_panic(cloud in 0u8..3, status in 100u16..600, body in body()) {
        if let Class::Ok(json) = classify(cloud, status, body) {
            preflight::clouds::parse_every_answer(cloud, &json);
        }
    }
}
