//! Property tests: no input makes plan parsing, or rendering its errors, panic; every span of
//! a parsed plan slices back to the value it came from; every error points inside the file.

use preflight::plan;
use preflight::report::{HumanStyle, Report};
use preflight::source::SourceFile;
use proptest::prelude::*;

const VALID: &str = "# yaml-language-server: $schema=x\ndefaults:\n  cloud: jdcloud\n  region: cn-north-1\ninstances:\n  - name: web  # preflight-ignore: unverified -- why\n    image: \"img-m5s0****29\"\n    instance_type: g.n4.xlarge\n    count: 3\n    system_disk_gb: 40\n  - {name: π-db, cloud: aliyun, region: cn-hangzhou, image: 'm-1', instance_type: ecs.g7.large}\nimages:\n  - name: golden\n    cloud: zenlayer\n    region: FRA-A\n    count: 2\n";

/// Renders input errors as a user would see them; something must come out.
fn render_errors(errors: Vec<preflight::error::InputError>) {
    let report = Report {
        errors,
        ..Report::default()
    };
    let mut out = Vec::new();
    report
        .write_errors(
            &HumanStyle {
                color: false,
                width: 80,
            },
            &mut out,
        )
        .expect("renders");
    assert!(!out.is_empty());
}

/// Parses and, on failure, renders every error as a user would see it; checks positions.
fn parse_and_render(text: &str) -> Result<plan::Plan, ()> {
    let source = SourceFile::new("p.yaml", text);
    match plan::parse(source.clone()) {
        Ok(p) => Ok(p),
        Err(errors) => {
            let lines = text.split('\n').count();
            for e in &errors {
                if let Some(pos) = e.position() {
                    assert!(
                        pos.line >= 1 && pos.line <= lines,
                        "line {} of {lines}",
                        pos.line
                    );
                }
            }
            render_errors(errors);
            Err(())
        }
    }
}

fn spans_slice_back(p: &plan::Plan) {
    let text = p.source.text();
    // Plain scalars are the value itself, up to YAML's line folding; quoted ones may also
    // differ by escapes.
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    for i in &p.instances {
        for v in [&i.name, &i.image, &i.instance_type] {
            let slice = text
                .get(v.span.offset()..v.span.offset() + v.span.len())
                .expect("span on char boundaries, inside the text");
            let quoted = slice.starts_with('"') || slice.starts_with('\'');
            assert!(
                fold(slice).contains(&fold(&v.value)) || (quoted && slice.len() >= 2),
                "{slice:?} vs {:?}",
                v.value
            );
        }
        for id in [&i.image, &i.instance_type, &i.region] {
            assert!(!id.value.chars().any(char::is_whitespace), "{:?}", id.value);
        }
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_string();
    for e in edits {
        let clamp = |i: usize, s: &str| {
            let mut i = i % (s.len() + 1);
            while !s.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        match e {
            Edit::Delete(at, len) => {
                let a = clamp(*at, &s);
                let b = clamp(a + len, &s).max(a);
                s.replace_range(a..b, "");
            }
            Edit::Insert(at, what) => {
                let a = clamp(*at, &s);
                s.insert_str(a, what);
            }
            Edit::DuplicateLine(n) => {
                let lines: Vec<&str> = s.split('\n').collect();
                let n = n % lines.len();
                let mut out = lines[..=n].to_vec();
                out.extend_from_slice(&lines[n..]);
                s = out.join("\n");
            }
        }
    }
    s
}

fn edit() -> impl Strategy<Value = Edit> {
    let yamlish = prop::sample::select(vec![
        ":",
        "- ",
        "\n",
        "  ",
        "\t",
        "#",
        "&a ",
        "*a",
        "[",
        "]",
        "{",
        "}",
        "\"",
        "'",
        "!!str ",
        "|\n",
        ">-\n",
        "name: x\n",
        "count: -1",
        "count: 1e99",
        "cloud: gcp",
        "---\n",
        "~",
        "null",
        "π",
        "\u{feff}",
        "\r\n",
        "0x1F",
        "true",
        "<<: *a\n",
        "? ",
    ]);
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(a, l)| Edit::Delete(a, l)),
        (any::<usize>(), yamlish).prop_map(|(a, w)| Edit::Insert(a, w.to_string())),
        any::<usize>().prop_map(Edit::DuplicateLine),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_text_never_panics(text in ".{0,300}") {
        let _ = parse_and_render(&text);
    }

    #[test]
    fn mutated_plans_never_panic_and_keep_true_spans(edits in prop::collection::vec(edit(), 1..6)) {
        let text = apply(VALID, &edits);
        if let Ok(p) = parse_and_render(&text) {
            spans_slice_back(&p);
        }
    }
}

#[test]
fn the_unmutated_plan_parses() {
    let p = parse_and_render(VALID).expect("valid plan parses");
    assert_eq!(p.instances.len(), 2);
    assert_eq!(p.images[0].count, 2);
    assert_eq!(p.suppressions.len(), 1);
    spans_slice_back(&p);
}

#[test]
fn exponential_alias_bomb_is_refused_quickly() {
    let mut text = String::from("instances:\n  - &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 0..12 {
        let prev = if level == 0 {
            "a".to_string()
        } else {
            format!("l{}", level - 1)
        };
        let refs = vec![format!("*{prev}"); 10].join(", ");
        text.push_str(&format!("  - &l{level} [{refs}]\n"));
    }
    assert!(parse_and_render(&text).is_err());
}

/// An ordinary plan the fast reader takes: block and flow entries, quoted and plain values.
const ORDINARY: &str = "# a comment\ndefaults:\n  cloud: jdcloud\n  region: cn-north-1\ninstances:\n  - name: web  # preflight-ignore: unverified -- why\n    image: \"img-m5s0****29\"\n    instance_type: g.n4.xlarge\n    count: 3\n    system_disk_gb: 40\n  - {name: db, cloud: aliyun, region: cn-hangzhou, image: 'm-1', instance_type: ecs.g7.large}\nimages:\n  - name: golden\n    cloud: zenlayer\n    region: FRA-A\n    count: 2\n";

#[test]
fn the_fast_reader_takes_ordinary_plans_and_agrees() {
    for text in [
        ORDINARY,
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/plan.yaml"))
            .expect("example"),
    ] {
        let (fast, slow) = plan::both_readers(text).expect("the fast reader takes it");
        assert_eq!(Ok(fast), slow);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Wherever the fast reader answers, serde-saphyr accepts the same text and builds the
    /// same values with the same spans.
    #[test]
    fn both_readers_agree(edits in prop::collection::vec(edit(), 1..4), base in 0..2usize) {
        let text = apply([ORDINARY, VALID][base], &edits);
        if let Some((fast, slow)) = plan::both_readers(&text) {
            prop_assert_eq!(Ok(fast), slow, "text: {:?}", text);
        }
    }
}

/// Every one-byte deletion of ORDINARY: the readers agree on each, and the fast reader answers
/// for many of them (so the property above is not vacuous).
#[test]
fn one_byte_deletions_agree() {
    let mut answered = 0;
    for at in 0..ORDINARY.len() {
        if !ORDINARY.is_char_boundary(at) || !ORDINARY.is_char_boundary(at + 1) {
            continue;
        }
        let text = format!("{}{}", &ORDINARY[..at], &ORDINARY[at + 1..]);
        if let Some((fast, slow)) = plan::both_readers(&text) {
            assert_eq!(Ok(fast), slow, "deleting byte {at}: {text:?}");
            answered += 1;
        }
    }
    assert!(
        answered > 100,
        "the fast reader answered only {answered} times"
    );
}

const TF_PLAN: &str = include_str!("../../testdata/cases/tf-jdcloud/tfplan.json");

/// Reads mutated Terraform plan JSON (no .tf files) and renders what comes out, findings'
/// spans included: nothing panics, every span lies inside the file.
fn read_terraform(text: &str) {
    let env = |_: &str| None;
    let options = preflight::terraform::Options {
        tf_dir: None,
        env: &env,
        vars: &[],
        reader: preflight::files::Reader::DISK,
    };
    let source = SourceFile::new("scratch/tfplan.json", text);
    match preflight::terraform::read_plan_json(source, &options) {
        Ok(p) => {
            for i in &p.instances {
                for span in [i.image.span, i.instance_type.span, i.name.span] {
                    assert!(span.offset() + span.len() <= text.len());
                }
            }
            let facts = preflight::facts::Facts::new();
            let report =
                preflight::check(&[p], &facts, &Default::default(), &|_| true, "2026-01-01");
            let mut out = Vec::new();
            report
                .write(
                    preflight::report::Format::Human,
                    &HumanStyle {
                        color: false,
                        width: 100,
                    },
                    &mut out,
                )
                .expect("renders");
        }
        Err(errors) => render_errors(errors),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn mutated_terraform_plans_never_panic(edits in prop::collection::vec(edit(), 1..6)) {
        read_terraform(&apply(TF_PLAN, &edits));
    }

    #[test]
    fn truncated_terraform_plans_never_panic(cut in 0..TF_PLAN.len()) {
        let mut cut = cut;
        while !TF_PLAN.is_char_boundary(cut) {
            cut -= 1;
        }
        read_terraform(&TF_PLAN[..cut]);
    }
}
