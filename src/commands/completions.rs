//! `preflight completions SHELL`: a completion script for the shell.

use std::io::{self, Write};

use preflight::cli::Cli;
use preflight::exit::Exit;

pub fn run(shell: clap_complete::Shell) -> io::Result<Exit> {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "preflight", &mut script);
    io::stdout()
        .lock()
        .write_all(&script)
        .map(|()| Exit::Passed)
}
