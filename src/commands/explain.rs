//! `preflight explain RULE`: a rule's documentation, built-in or from a rule file.

use std::io;

use preflight::checks::catalog::Catalog;
use preflight::error::InputError;
use preflight::exit::Exit;

use super::{print_input_errors, print_stdout};

pub fn run(rule: &str, dirs: &[std::path::PathBuf]) -> io::Result<Exit> {
    let policy = match preflight::pipeline::load_policy(dirs, preflight::files::Reader::DISK) {
        Ok(p) => p,
        Err(errors) => return print_input_errors(&errors),
    };
    let catalog = Catalog::new(&policy);
    match catalog.get(rule) {
        Some(entry) => print_stdout(&entry.explanation()).map(|()| Exit::Passed),
        None => print_input_errors(&[InputError::new(
            "input::unknown-rule",
            format!("unknown rule `{rule}`"),
        )
        .with_help(catalog.unknown_help(rule))]),
    }
}
