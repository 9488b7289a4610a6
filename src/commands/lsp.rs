//! `preflight lsp`: the language server on stdin and stdout.

use std::io::{self, Write};
use std::time::Duration;

use preflight::exit::Exit;

pub fn run(args: preflight::cli::LspArgs) -> io::Result<Exit> {
    // A keystroke must not wait a minute on a FIFO in the workspace.
    preflight::files::set_blocking_deadline(Duration::from_secs(2));
    let settings = preflight::lsp::Settings {
        facts: args.facts,
        offline: args.offline,
        rules: args.rules,
        config: args.config,
    };
    match preflight::lsp::run(settings) {
        Ok(()) => Ok(Exit::Passed),
        Err(why) => {
            let _ = writeln!(io::stderr(), "preflight lsp: {why}");
            Ok(Exit::Failed)
        }
    }
}
