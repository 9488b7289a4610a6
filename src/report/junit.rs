//! `--format junit`: JUnit XML as Jenkins' `junit-10.xsd` has it, for GitLab, Jenkins and the
//! other CI systems that show test reports. A test suite per plan; a test case per pairing,
//! custom-image entry or entry that could not be checked, by its identity (a YAML entry's
//! name, a Terraform resource instance's address), carrying exactly its own findings:
//!
//! - a finding that fails the run (at or above `--fail-on`) is a `<failure>`;
//! - an unverified pairing is an `<error>`, or `<skipped>` under `--allow-unverified`;
//! - findings below `--fail-on` go to the case's `<system-out>`.
//!
//! So `<failure>` and `<error>` elements exist exactly when the run exits 1 or 3. Input errors
//! are a suite of their own, a case each, named by file and line. Cases carry `file` and
//! `line` attributes (GitLab reads them; the xsd does not declare them), the file relative to
//! the repository root.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Case, EntryKey, Gate, Report};
use crate::diagnostic::Diagnostic;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut suites: Vec<Suite> = Vec::new();
    if !report.errors.is_empty() {
        let mut suite = Suite::new("preflight: input errors");
        for e in &report.errors {
            let name = match (e.file(), e.position()) {
                (Some(f), Some(p)) => format!("{f}:{}", p.line),
                (Some(f), None) => f.to_string(),
                (None, _) => e.code().to_string(),
            };
            let mut case = TestCase::new(name, "preflight");
            case.place = e
                .file()
                .map(|f| (report.repo_path(f), e.position().map(|p| p.line)));
            case.error = Some(Outcome {
                message: e.message().to_string(),
                kind: e.code().to_string(),
                text: e.help_text().unwrap_or_default().to_string(),
            });
            suite.add(case);
        }
        suites.push(suite);
    }
    let mut by_entry = report.findings_by_entry();
    let mut keys: HashSet<EntryKey> = report
        .cases
        .iter()
        .map(|c| (c.file.as_str(), c.line, c.entry.as_str()))
        .collect();
    // Findings no case names (a rule file's finding on an unusual entry) still get a case,
    // so the report never hides what decided the exit code.
    let mut orphans: Vec<Case> = Vec::new();
    for d in &report.diagnostics {
        let key = (d.file.name(), d.entry_line, d.entry.as_str());
        if keys.insert(key) {
            orphans.push(Case {
                plan: d.file.name().to_string(),
                file: d.file.name().to_string(),
                entry: d.entry.clone(),
                line: d.entry_line,
                title: d.rule.clone(),
            });
        }
    }
    let cases: Vec<&Case> = report.cases.iter().chain(&orphans).collect();
    for group in cases.chunk_by(|a, b| a.plan == b.plan) {
        let mut suite = Suite::new(&group[0].plan);
        for case in group {
            let key = (case.file.as_str(), case.line, case.entry.as_str());
            let findings = by_entry.remove(&key).unwrap_or_default();
            suite.add(test_case(report, report.gate, case, &findings));
        }
        suites.push(suite);
    }
    let (tests, failures, errors) = suites.iter().fold((0, 0, 0), |(t, f, e), s| {
        (t + s.tests, f + s.failures, e + s.errors)
    });
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"preflight\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">"
    );
    for suite in &suites {
        suite.write(&mut xml);
    }
    xml.push_str("</testsuites>\n");
    out.write_all(xml.as_bytes())
}

/// One case from its findings, sorted by what they do to the run.
fn test_case(report: &Report, gate: Gate, case: &Case, findings: &[&Diagnostic]) -> TestCase {
    let mut test = TestCase::new(format!("{} ({})", case.entry, case.title), &case.file);
    test.place = Some((report.repo_path(&case.file), Some(case.line)));
    let failing: Vec<&Diagnostic> = findings.iter().copied().filter(|d| gate.fails(d)).collect();
    let unverified: Vec<&Diagnostic> = findings.iter().copied().filter(|d| d.unverified).collect();
    let below: Vec<&Diagnostic> = findings
        .iter()
        .copied()
        .filter(|d| !d.unverified && !gate.fails(d))
        .collect();
    if let Some(first) = failing.first() {
        test.failure = Some(Outcome {
            message: format!("[{}] {}", first.rule, first.message),
            kind: first.rule.clone(),
            text: describe(report, &failing),
        });
    }
    if let Some(first) = unverified.first() {
        let outcome = Outcome {
            message: format!("[unverified] {}", first.message),
            kind: "unverified".to_string(),
            text: describe(report, &unverified),
        };
        if gate.allow_unverified {
            test.skipped = Some(outcome);
        } else {
            test.error = Some(outcome);
        }
    }
    if !below.is_empty() {
        test.system_out = Some(describe(report, &below));
    }
    test
}

/// The findings, one `file:line:col: severity [rule] message` line each, with their help.
fn describe(report: &Report, findings: &[&Diagnostic]) -> String {
    let mut text = String::new();
    for d in findings {
        let p = d.file.position(d.span.offset());
        let severity = if d.unverified {
            "warning"
        } else {
            d.severity.as_str()
        };
        let _ = write!(
            text,
            "{}:{}:{}: {severity} [{}] {}",
            report.repo_path(d.file.name()),
            p.line,
            p.column,
            d.rule,
            d.message
        );
        if let Some(help) = &d.help {
            let _ = write!(text, "\n  help: {help}");
        }
        text.push('\n');
    }
    text.trim_end().to_string()
}

struct Suite {
    name: String,
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    cases: Vec<TestCase>,
}

impl Suite {
    fn new(name: &str) -> Suite {
        Suite {
            name: name.to_string(),
            tests: 0,
            failures: 0,
            errors: 0,
            skipped: 0,
            cases: Vec::new(),
        }
    }

    fn add(&mut self, case: TestCase) {
        self.tests += 1;
        self.failures += usize::from(case.failure.is_some());
        self.errors += usize::from(case.error.is_some());
        self.skipped += usize::from(case.skipped.is_some());
        self.cases.push(case);
    }

    fn write(&self, xml: &mut String) {
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            attr(&self.name),
            self.tests,
            self.failures,
            self.errors,
            self.skipped
        );
        for case in &self.cases {
            case.write(xml);
        }
        xml.push_str("  </testsuite>\n");
    }
}

struct TestCase {
    name: String,
    classname: String,
    place: Option<(String, Option<usize>)>,
    failure: Option<Outcome>,
    error: Option<Outcome>,
    skipped: Option<Outcome>,
    system_out: Option<String>,
}

struct Outcome {
    message: String,
    kind: String,
    text: String,
}

impl TestCase {
    fn new(name: String, classname: &str) -> TestCase {
        TestCase {
            name,
            classname: classname.to_string(),
            place: None,
            failure: None,
            error: None,
            skipped: None,
            system_out: None,
        }
    }

    fn write(&self, xml: &mut String) {
        let _ = write!(
            xml,
            "    <testcase name=\"{}\" classname=\"{}\"",
            attr(&self.name),
            attr(&self.classname)
        );
        if let Some((file, line)) = &self.place {
            let _ = write!(xml, " file=\"{}\"", attr(file));
            if let Some(line) = line {
                let _ = write!(xml, " line=\"{line}\"");
            }
        }
        let outcomes = [
            ("failure", &self.failure),
            ("error", &self.error),
            ("skipped", &self.skipped),
        ];
        if outcomes.iter().all(|(_, o)| o.is_none()) && self.system_out.is_none() {
            xml.push_str("/>\n");
            return;
        }
        xml.push_str(">\n");
        for (tag, outcome) in outcomes {
            let Some(o) = outcome else { continue };
            let _ = write!(
                xml,
                "      <{tag} message=\"{}\" type=\"{}\"",
                attr(&o.message),
                attr(&o.kind)
            );
            if o.text.is_empty() {
                xml.push_str("/>\n");
            } else {
                let _ = writeln!(xml, ">{}</{tag}>", text(&o.text));
            }
        }
        if let Some(out) = &self.system_out {
            let _ = writeln!(xml, "      <system-out>{}</system-out>", text(out));
        }
        xml.push_str("    </testcase>\n");
    }
}

/// Characters XML 1.0 cannot carry at all (most control characters) become U+FFFD.
fn xml_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().map(|c| match c {
        '\t' | '\n' | '\r' => c,
        c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
        c => c,
    })
}

/// Element text.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in xml_chars(s) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value: also quotes, and line breaks and tabs as references so a parser's
/// attribute-value normalization keeps them.
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in xml_chars(s) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped_and_stripped_of_what_xml_cannot_hold() {
        assert_eq!(text("a<b & c>\u{1b}[0m"), "a&lt;b &amp; c&gt;\u{FFFD}[0m");
        assert_eq!(
            attr("say \"hi\"\nnext\t"),
            "say &quot;hi&quot;&#10;next&#9;"
        );
    }
}
