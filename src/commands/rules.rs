//! `preflight rules`: every rule, built-in and from rule files, with its severity.

use std::io;

use preflight::checks::catalog::Catalog;
use preflight::exit::Exit;

use super::{print_input_errors, print_stdout};

pub fn run(dirs: &[std::path::PathBuf]) -> io::Result<Exit> {
    let policy = match preflight::pipeline::load_policy(dirs, preflight::files::Reader::DISK) {
        Ok(p) => p,
        Err(errors) => return print_input_errors(&errors),
    };
    let catalog = Catalog::new(&policy);
    let width = catalog
        .entries()
        .iter()
        .map(|e| e.id.len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for e in catalog.entries() {
        text.push_str(&format!(
            "{:width$}  {:7}  {}\n",
            e.id,
            e.severity.to_string(),
            e.listed_summary()
        ));
    }
    print_stdout(&text).map(|()| Exit::Passed)
}
