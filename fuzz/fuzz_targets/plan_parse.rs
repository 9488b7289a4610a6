//! Plans: any text parses or fails with diagnostics that render; a parsed plan's spans lie
//! inside the text, and checking it against empty facts never panics. Differential: wherever
//! the fast reader answers, serde-saphyr reads the same values and spans.
#![no_main]

use libfuzzer_sys::fuzz_target;
use preflight::report::{HumanStyle, Report};
use preflight::source::SourceFile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some((fast, slow)) = preflight::plan::both_readers(text) {
        assert_eq!(Ok(fast), slow, "the readers disagree on {text:?}");
    }
    let source = SourceFile::new("fuzz.plan.yaml", text);
    match preflight::plan::parse(source) {
        Ok(plan) => {
            for i in &plan.instances {
                for v in [&i.name.span, &i.image.span, &i.instance_type.span, &i.region.span] {
                    assert!(text.get(v.offset()..v.offset() + v.len()).is_some());
                }
            }
            let plans = [plan];
            let facts = preflight::facts::Facts::absent("fuzzing");
            let report = preflight::check(&plans, &facts, &Default::default(), &|_| true);
            let mut out = Vec::new();
            let style = HumanStyle { color: false, width: 80 };
            for f in [preflight::report::Format::Human, preflight::report::Format::Sarif] {
                report.write(f, &style, &mut out).expect("renders");
            }
        }
        Err(errors) => {
            let report = Report { errors, ..Report::default() };
            let mut out = Vec::new();
            report
                .write_errors(&HumanStyle { color: false, width: 80 }, &mut out)
                .expect("renders");
        }
    }
});
