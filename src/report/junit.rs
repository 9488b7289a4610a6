//! `--format junit`: JUnit XML, as GitLab and Jenkins read it. A test suite per plan file, a
//! test case per checked entry: passed, failed with its findings, or errored when it could
//! not be checked (unverified). Input errors are error cases of a `preflight` suite.

use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use super::Report;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut junit = Junit::new("preflight");
    if !report.errors.is_empty() {
        let mut suite = TestSuite::new("preflight");
        for e in &report.errors {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(e.message()).set_type(e.code());
            let mut case = TestCase::new(e.file().unwrap_or("input"), status);
            case.set_classname("preflight");
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    let by_entry = report.findings_by_entry();
    // Cases come in plan order, so each file's cases are consecutive.
    for cases in report.cases.chunk_by(|a, b| a.file == b.file) {
        let file = cases[0].file.as_str();
        let mut suite = TestSuite::new(file);
        for case in cases {
            let findings: Vec<&crate::diagnostic::Diagnostic> = by_entry
                .get(&(case.file.as_str(), case.line, case.entry.as_str()))
                .cloned()
                .unwrap_or_default();
            let failures: Vec<_> = findings.iter().filter(|d| !d.unverified).collect();
            let status = if let Some(first) = failures.first() {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("[{}] {}", first.rule, first.message))
                    .set_type(first.rule.as_str());
                s.set_description(describe(&findings));
                s
            } else if let Some(first) = findings.first() {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message(format!("[unverified] {}", first.message))
                    .set_type("unverified");
                s.set_description(describe(&findings));
                s
            } else {
                TestCaseStatus::success()
            };
            let mut test = TestCase::new(format!("{} ({})", case.entry, case.title), status);
            test.set_classname(file);
            suite.add_test_case(test);
        }
        junit.add_test_suite(suite);
    }
    let text = junit.to_string().map_err(io::Error::other)?;
    out.write_all(text.as_bytes())?;
    writeln!(out)
}

fn describe(findings: &[&crate::diagnostic::Diagnostic]) -> String {
    findings
        .iter()
        .map(|d| {
            let p = d.file.position(d.span.offset());
            let help = d
                .help
                .as_deref()
                .map(|h| format!("\n  help: {h}"))
                .unwrap_or_default();
            format!(
                "{}:{}:{}: {} [{}] {}{help}",
                d.file.name(),
                p.line,
                p.column,
                d.severity,
                d.rule,
                d.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
