//! `preflight rules`: every rule, built-in and from rule files, with its severity.

use std::io;

use preflight::checks;
use preflight::exit::Exit;
use preflight::policy::Policy;

use super::{print_input_errors, print_stdout};

pub fn run(dirs: &[std::path::PathBuf]) -> io::Result<Exit> {
    let policy = match Policy::load(dirs) {
        Ok(p) => p,
        Err(errors) => return print_input_errors(&errors),
    };
    let mut rows: Vec<(String, String, String)> = checks::BUILTIN
        .iter()
        .map(|r| {
            (
                r.id.to_string(),
                r.severity.to_string(),
                r.summary.to_string(),
            )
        })
        .collect();
    rows.extend(policy.rules.iter().map(|r| {
        (
            r.id.clone(),
            r.severity.to_string(),
            format!("{} ({})", r.message, r.origin),
        )
    }));
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut text = String::new();
    for (id, severity, summary) in rows {
        text.push_str(&format!("{id:width$}  {severity:7}  {summary}\n"));
    }
    print_stdout(&text).map(|()| Exit::Passed)
}
