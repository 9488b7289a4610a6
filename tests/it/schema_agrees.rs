//! The plan schema (what the editor says) and the parser (what preflight says) agree: the
//! same plans, generated and from the corpus, are accepted or refused by both. The only
//! rules the schema cannot state are names unique among entries and suppression comments;
//! the generator keeps names unique and writes no comments.

use std::sync::LazyLock;

use crate::support::json_schema::Validator;
use proptest::prelude::*;

static SCHEMA: LazyLock<Validator> =
    LazyLock::new(|| Validator::new(preflight::plan::json_schema()));

fn parser_accepts(text: &str) -> Result<(), String> {
    let source = preflight::source::SourceFile::new("p.yaml", text);
    preflight::plan::parse(source)
        .map(|_| ())
        .map_err(|errors| {
            errors
                .iter()
                .map(|e| format!("{}: {}", e.code(), e.message()))
                .collect::<Vec<_>>()
                .join("; ")
        })
}

fn schema_accepts(text: &str) -> Result<(), String> {
    let value: serde_json::Value =
        serde_saphyr::from_str_with_options(text, preflight::plan::yaml_options())
            .map_err(|e| format!("not YAML the editor reads: {e}"))?;
    SCHEMA.check(&value)
}

fn agree(text: &str) {
    let parser = parser_accepts(text);
    let schema = schema_accepts(text);
    assert_eq!(
        parser.is_ok(),
        schema.is_ok(),
        "they disagree on\n{text}\nparser: {parser:?}\nschema: {schema:?}"
    );
}

#[test]
fn the_corpus_plans_are_judged_alike() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut plans = vec![root.join("examples/plan.yaml")];
    for case in std::fs::read_dir(root.join("testdata/cases")).expect("cases") {
        let plan = case.expect("entry").path().join("plan.yaml");
        if plan.is_file() {
            plans.push(plan);
        }
    }
    assert!(plans.len() > 30, "{}", plans.len());
    let mut refused = 0;
    for path in &plans {
        // Not UTF-8: neither reads it.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let parser = parser_accepts(&text);
        // Outside what a schema can say: repeated names, suppression comments.
        let beyond = parser.as_ref().err().is_some_and(|e| {
            e.split("; ")
                .all(|e| e.starts_with("plan::duplicate-name") || e.contains("suppression"))
        });
        if beyond {
            continue;
        }
        refused += usize::from(parser.is_err());
        let schema = schema_accepts(&text);
        assert_eq!(
            parser.is_ok(),
            schema.is_ok(),
            "{}: parser {parser:?}, schema {schema:?}",
            path.display()
        );
    }
    assert!(refused >= 5, "the corpus has refused plans too: {refused}");
}

#[test]
fn the_cases_the_issue_names_are_judged_alike() {
    let entry = "instances:\n  - {name: a, cloud: jdcloud, region: r, image: i, instance_type: t";
    for tail in [
        ", count: 2000000}",
        ", count: \"3\"}",
        ", system_disk_gb: 40.0}",
        ", count: 40.5}",
        ", image: \"\"}",
        ", charge_type: \" spot\"}",
        ", region: \"a b\"}",
        ", region: \" padded \"}",
        "}",
    ] {
        let text = format!("{entry}{tail}\n").replace(
            "image: i, instance_type: t, image",
            "instance_type: t, image",
        );
        agree(&text);
    }
    agree("{}\n");
    agree("instances:\n");
    agree("images: []\n");
    agree(
        "defaults: {cloud: zenlayer, region: FRA-A, charge_type: spot}\ninstances:\n  - {name: a, image: i, instance_type: t}\n",
    );
    agree(
        "defaults: {cloud: zenlayer, region: FRA-A, service: zec}\ninstances:\n  - {name: a, image: i, instance_type: t, charge_type: prepaid}\n",
    );
    agree("defaults: {cloud: jdcloud, region: r}\nimages:\n  - {name: a, service: zec}\n");
    // 40.0 is a whole number to JSON Schema, so it is to preflight.
    assert!(parser_accepts(&format!("{entry}, system_disk_gb: 40.0}}\n")).is_ok());
    assert!(parser_accepts(&format!("{entry}, count: \"3\"}}\n")).is_err());
}

/// A value for a key, as YAML text, for keys most entries leave out (`None`). Mostly valid
/// values, so that the plans both accept are many too, and now and then one that breaks a
/// rule.
fn rare(
    valid: &'static [&'static str],
    invalid: &'static [&'static str],
) -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        12 => Just(None),
        4 => proptest::sample::select(valid).prop_map(Some),
        1 => proptest::sample::select(invalid).prop_map(Some),
    ]
}

/// As `rare`, for keys that are needed: rarely left out.
fn needed(
    valid: &'static [&'static str],
    invalid: &'static [&'static str],
) -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        1 => Just(None),
        40 => proptest::sample::select(valid).prop_map(Some),
        2 => proptest::sample::select(invalid).prop_map(Some),
    ]
}

const CLOUDS: (&[&str], &[&str]) = (
    &["jdcloud", "aliyun", "zenlayer", "zenlayer", "'aliyun'", "~"],
    &["aws", "123", "' aliyun'"],
);
const REGIONS: (&[&str], &[&str]) = (
    &[
        "cn-north-1",
        "FRA-A",
        "' r1 '",
        "\"\\ufeffr\"",
        "\"r\\u00a0\"",
        "~",
    ],
    &[
        "''",
        "' '",
        "'a b'",
        "1234",
        "true",
        "\"x\\u0001\"",
        "\"r\\u00a0s\"",
    ],
);
const SERVICES: (&[&str], &[&str]) = (&["vm", "zec", "zec", "~"], &["gpu", "' vm'"]);
const CHARGES: (&[&str], &[&str]) = (
    &["postpaid", "prepaid", "spot", "spot", "~"],
    &["Spot", "' spot'"],
);
const ZONES: (&[&str], &[&str]) = (&["cn-north-1a", "~"], &["''", "'z 1'"]);
const COUNTS: (&[&str], &[&str]) = (
    &["1", "3", "1000000", "40.0", "1e3", "~"],
    &[
        "0", "-2", "1000001", "2000000", "40.5", "'3'", ".inf", "true",
    ],
);
const IDS: (&[&str], &[&str]) = (
    &["img-1", "g.n4.xlarge", "'img|1'", "'0x10'", "' padded '"],
    &["''", "'a b'", "123", "1.5", "true", "\"t\\tx\"", "0x10"],
);
const NAME_DECORATIONS: &[&str] = &["{}", "{}", "' {} '", "'{} x'", "\"{}\\u0001\"", "'{}\t'"];

#[derive(Debug, Clone)]
struct Entry {
    name: &'static str,
    fields: Vec<(&'static str, Option<&'static str>)>,
    unknown_key: bool,
}

fn entry(image: bool) -> impl Strategy<Value = Entry> {
    (
        proptest::sample::select(NAME_DECORATIONS),
        rare(CLOUDS.0, CLOUDS.1),
        rare(REGIONS.0, REGIONS.1),
        rare(SERVICES.0, SERVICES.1),
        rare(CHARGES.0, CHARGES.1),
        rare(ZONES.0, ZONES.1),
        rare(COUNTS.0, COUNTS.1),
        rare(COUNTS.0, COUNTS.1),
        (needed(IDS.0, IDS.1), needed(IDS.0, IDS.1)),
        proptest::bool::weighted(0.05),
    )
        .prop_map(
            move |(
                name,
                cloud,
                region,
                service,
                charge,
                zone,
                count,
                disk,
                (img, ty),
                unknown_key,
            )| {
                let mut fields = vec![
                    ("cloud", cloud),
                    ("region", region),
                    ("service", service),
                    ("count", count),
                ];
                if !image {
                    fields.extend([
                        ("image", img),
                        ("instance_type", ty),
                        ("charge_type", charge),
                        ("zone", zone),
                        ("system_disk_gb", disk),
                    ]);
                }
                Entry {
                    name,
                    fields,
                    unknown_key,
                }
            },
        )
}

fn plan() -> impl Strategy<Value = String> {
    (
        proptest::option::weighted(
            0.8,
            (
                needed(CLOUDS.0, CLOUDS.1),
                needed(REGIONS.0, REGIONS.1),
                rare(SERVICES.0, SERVICES.1),
                rare(CHARGES.0, CHARGES.1),
            ),
        ),
        proptest::option::weighted(0.9, proptest::collection::vec(entry(false), 0..4)),
        proptest::option::weighted(0.3, proptest::collection::vec(entry(true), 0..3)),
    )
        .prop_map(|(defaults, instances, images)| {
            let mut text = String::new();
            if let Some((cloud, region, service, charge)) = defaults {
                text.push_str("defaults:\n");
                for (k, v) in [
                    ("cloud", cloud),
                    ("region", region),
                    ("service", service),
                    ("charge_type", charge),
                ] {
                    if let Some(v) = v {
                        text.push_str(&format!("  {k}: {v}\n"));
                    }
                }
                if text.ends_with("defaults:\n") {
                    text.push_str("  {}\n");
                }
            }
            for (key, list) in [("instances", instances), ("images", images)] {
                let Some(list) = list else { continue };
                if list.is_empty() {
                    text.push_str(&format!("{key}: []\n"));
                    continue;
                }
                text.push_str(&format!("{key}:\n"));
                for (i, e) in list.iter().enumerate() {
                    // Unique names: the index is in every decoration.
                    let name = e.name.replace("{}", &format!("{key}{i}"));
                    text.push_str(&format!("  - name: {name}\n"));
                    for (k, v) in &e.fields {
                        if let Some(v) = v {
                            text.push_str(&format!("    {k}: {v}\n"));
                        }
                    }
                    if e.unknown_key {
                        text.push_str("    colour: red\n");
                    }
                }
            }
            if text.is_empty() {
                text.push_str("defaults: {}\n");
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(600), ..ProptestConfig::default() })]

    #[test]
    fn generated_plans_are_judged_alike(text in plan()) {
        agree(&text);
    }
}
