//! The plan file's JSON Schema (draft-07, as yaml-language-server reads it): the types come
//! from the raw plan's serde types, and the rules across fields are added here, so that the
//! editor accepts exactly what `parse` accepts. What JSON Schema cannot say is left to the
//! parser alone, and only that: names unique among entries, suppression comments, the size
//! limits. A test feeds generated and corpus plans to both and compares.

use serde_json::{Value, json};

use super::raw::RawPlan;
use crate::cloud::{Api, ChargeType, Cloud, Service};

pub fn json_schema() -> Value {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<RawPlan>();
    let mut schema = serde_json::to_value(schema).unwrap_or(Value::Null);
    if let Some(object) = schema.as_object_mut() {
        object.insert("allOf".to_string(), Value::Array(rules()));
    }
    schema
}

const NOT_ZENLAYER: [&str; 2] = ["jdcloud", "aliyun"];
const SERVICES: [Option<&str>; 3] = [Some("vm"), Some("zec"), None];
const CHARGES: [Option<&str>; 4] = [Some("postpaid"), Some("prepaid"), Some("spot"), None];

fn rules() -> Vec<Value> {
    let mut rules = vec![
        // Something to check: `instances` or `images` is a list.
        json!({"anyOf": [
            {"required": ["instances"], "properties": {"instances": {"type": "array"}}},
            {"required": ["images"], "properties": {"images": {"type": "array"}}}
        ]}),
    ];
    // Every entry has a cloud and a region, its own or the defaults'.
    for key in ["cloud", "region"] {
        rules.push(json!({"anyOf": [
            in_defaults(key, None),
            each_entry(own(key, None), own(key, None))
        ]}));
    }
    // `service` is for Zenlayer entries only.
    let no_service = json!({"properties": {"service": {"type": "null"}}});
    let named_elsewhere =
        json!({"required": ["cloud"], "properties": {"cloud": {"enum": NOT_ZENLAYER}}});
    rules.push(each_entry(
        when(&named_elsewhere, &no_service),
        when(&named_elsewhere, &no_service),
    ));
    rules.push(when(
        &json!({"required": ["defaults"], "properties": {"defaults": {
            "type": "object", "required": ["cloud"], "properties": {"cloud": {"enum": NOT_ZENLAYER}}
        }}}),
        &each_entry(
            when(&lacks("cloud"), &no_service),
            when(&lacks("cloud"), &no_service),
        ),
    ));
    // `vswitch` is for Alibaba instances only, `data_disks` for Alibaba and JD Cloud ones, by
    // their own cloud or the defaults'.
    for (key, clouds) in [
        ("vswitch", json!(["aliyun"])),
        ("data_disks", json!(["aliyun", "jdcloud"])),
    ] {
        let refused = json!({"properties": {key: {"type": "null"}}});
        let other = json!({"not": {"enum": clouds}});
        let own_other = json!({"required": ["cloud"], "properties": {"cloud": other}});
        rules.push(json!({"properties": {"instances": {"items": when(&own_other, &refused)}}}));
        rules.push(when(
            &json!({"required": ["defaults"], "properties": {"defaults": {
                "type": "object", "required": ["cloud"], "properties": {"cloud": other}
            }}}),
            &json!({"properties": {"instances": {"items": when(&lacks("cloud"), &refused)}}}),
        ));
    }
    // A Zenlayer instance has no `zone` (its region is the zone), and is bought as its
    // service sells: VM instances are not spot, ZEC instances postpaid only. Which service
    // and charge apply comes from the entry, else the defaults.
    for zenlayer_default in [true, false] {
        let mut zenlayer = vec![own("cloud", Some("zenlayer"))];
        if zenlayer_default {
            zenlayer.push(lacks("cloud"));
        }
        let zenlayer = json!({"anyOf": zenlayer});
        let defaults_cloud = if zenlayer_default {
            in_defaults("cloud", Some("zenlayer"))
        } else {
            json!({"not": in_defaults("cloud", Some("zenlayer"))})
        };
        let no_zone = json!({"properties": {"zone": {"type": "null"}}});
        rules.push(when(
            &defaults_cloud,
            &json!({"properties": {"instances": {"items": when(&zenlayer, &no_zone)}}}),
        ));
        for default_service in SERVICES {
            for default_charge in CHARGES {
                let refused = refused_pairs(default_service, default_charge);
                if refused.is_empty() {
                    continue;
                }
                let condition = json!({"allOf": [
                    defaults_cloud,
                    defaults_are("service", default_service),
                    defaults_are("charge_type", default_charge)
                ]});
                let item = when(&zenlayer, &json!({"not": {"anyOf": refused}}));
                rules.push(when(
                    &condition,
                    &json!({"properties": {"instances": {"items": item}}}),
                ));
            }
        }
    }
    rules
}

/// The entry's own service and charge type that Zenlayer refuses, given the defaults'.
fn refused_pairs(default_service: Option<&str>, default_charge: Option<&str>) -> Vec<Value> {
    let mut refused = Vec::new();
    for service in SERVICES {
        for charge in CHARGES {
            let effective_service = service
                .or(default_service)
                .and_then(Service::parse)
                .unwrap_or_default();
            let api = Api::of(Cloud::Zenlayer, effective_service);
            let refuses = charge
                .or(default_charge)
                .and_then(ChargeType::parse)
                .is_some_and(|c| api.refuses(c).is_some());
            if refuses {
                refused.push(
                    json!({"allOf": [sets("service", service), sets("charge_type", charge)]}),
                );
            }
        }
    }
    refused
}

/// `if condition then rule`.
fn when(condition: &Value, rule: &Value) -> Value {
    json!({"if": condition, "then": rule})
}

/// Every instance meets `instance`, every image `image`.
fn each_entry(instance: Value, image: Value) -> Value {
    json!({"properties": {"instances": {"items": instance}, "images": {"items": image}}})
}

/// The entry sets `key` to `value` (`None`: to any string).
fn own(key: &str, value: Option<&str>) -> Value {
    let of = match value {
        Some(v) => json!({"const": v}),
        None => json!({"type": "string"}),
    };
    json!({"required": [key], "properties": {key: of}})
}

/// The entry sets `key` to `value`, or (`None`) does not set it.
fn sets(key: &str, value: Option<&str>) -> Value {
    match value {
        Some(v) => own(key, Some(v)),
        None => lacks(key),
    }
}

/// The entry does not set `key` (absent or null): it takes the default.
fn lacks(key: &str) -> Value {
    json!({"not": own(key, None)})
}

/// `defaults` sets `key` to `value` (`None`: to any string).
fn in_defaults(key: &str, value: Option<&str>) -> Value {
    let mut inner = own(key, value);
    inner["type"] = json!("object");
    json!({"required": ["defaults"], "properties": {"defaults": inner}})
}

/// `defaults.key` is `value`, or unset for `None`.
fn defaults_are(key: &str, value: Option<&str>) -> Value {
    match value {
        Some(v) => in_defaults(key, Some(v)),
        None => json!({"not": in_defaults(key, None)}),
    }
}
