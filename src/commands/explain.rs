//! `preflight explain RULE`: a rule's documentation, built-in or from a rule file.

use std::io;

use preflight::checks;
use preflight::error::InputError;
use preflight::exit::Exit;
use preflight::policy::Policy;
use preflight::suggest;

use super::{print_input_errors, print_stdout};

pub fn run(rule: &str, dirs: &[std::path::PathBuf]) -> io::Result<Exit> {
    if let Some(r) = checks::builtin(rule) {
        return print_stdout(&r.doc()).map(|()| Exit::Passed);
    }
    let policy = match Policy::load(dirs) {
        Ok(p) => p,
        Err(errors) => return print_input_errors(&errors),
    };
    if let Some(r) = policy.get(rule) {
        let mut text = format!("# {}\n\n{}\n", r.id, r.message);
        if let Some(d) = &r.description {
            text.push('\n');
            text.push_str(d.trim_end());
            text.push('\n');
        }
        text.push_str(&format!(
            "\nSeverity: {}. Defined in {}.\n",
            r.severity, r.origin
        ));
        return print_stdout(&text).map(|()| Exit::Passed);
    }
    let known = policy.known_ids();
    let mut e = InputError::new("input::unknown-rule", format!("unknown rule `{rule}`"));
    e = e.with_help(
        match suggest::best(rule, known.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "`preflight rules` lists every rule id".to_string(),
        },
    );
    print_input_errors(&[e])
}
