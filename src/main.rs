//! The `preflight` binary: parse the command line, dispatch to the command (`commands/`),
//! map its outcome to the exit code.

mod commands;

use std::io::{self, Write};
use std::process::ExitCode;

use preflight::cli::{Cli, Command};
use preflight::exit::Exit;

fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // `--var` and `--var-file` apply in the order given, across both flags.
    let tf_vars = matches
        .subcommand()
        .filter(|(name, _)| matches!(*name, "validate" | "baseline" | "fetch"))
        .map(|(_, m)| commands::tf_vars_in_order(m))
        .unwrap_or_else(|| Ok(Vec::new()));
    commands::init_logging(match &cli.command {
        Command::Validate(a) | Command::Baseline(a) => a.verbose,
        Command::Fetch(a) => a.verbose,
        Command::Credentials(a) => a.verbose,
        _ => 0,
    });
    let tf_vars = match tf_vars {
        Ok(v) => v,
        Err(e) => {
            return commands::print_input_errors(&[e])
                .unwrap_or(Exit::BadInput)
                .into();
        }
    };
    let result = match cli.command {
        Command::Validate(args) => commands::validate::run(args, tf_vars),
        Command::Baseline(args) => commands::validate::write_baseline(args, tf_vars),
        Command::Explain { rule, rules } => commands::explain::run(&rule, &rules),
        Command::Rules { rules } => commands::rules::run(&rules),
        Command::Fetch(args) => commands::fetch::run(args, tf_vars),
        Command::Credentials(args) => commands::credentials::run(args),
        Command::Lsp(args) => commands::lsp::run(args),
        Command::Completions { shell } => commands::completions::run(shell),
        Command::Permissions { cloud } => commands::permissions::run(cloud),
        Command::Schema => commands::schema::run(),
    };
    match result {
        Ok(exit) => exit.into(),
        // A closed pipe (`preflight rules | head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Passed.into(),
        Err(e) => {
            let _ = writeln!(io::stderr(), "preflight: {e}");
            Exit::BadInput.into()
        }
    }
}
