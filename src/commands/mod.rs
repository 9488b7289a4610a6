//! The binary's commands, one file per subcommand (as ruff's `commands/`): each turns its
//! arguments into options, calls one library verb and prints what it returns. What they share
//! lives here: printing input errors and warnings, the config file, logging and the spinner.
//! The library never prints; these files are where preflight talks to the terminal.

pub mod completions;
pub mod credentials;
pub mod explain;
pub mod fetch;
pub mod lsp;
pub mod permissions;
pub mod rules;
pub mod schema;
pub mod validate;

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use preflight::clouds::FetchConfig;
use preflight::error::InputError;
use preflight::exit::Exit;
use preflight::report::{HumanStyle, Report};

/// `--var NAME=VALUE` and `--var-file FILE`, in the order they were given.
pub fn tf_vars_in_order(
    m: &clap::ArgMatches,
) -> Result<Vec<preflight::terraform::VarFlag>, InputError> {
    use preflight::terraform::VarFlag;
    let mut all: Vec<(usize, VarFlag)> = Vec::new();
    if let (Ok(Some(values)), Some(at)) = (m.try_get_many::<String>("var"), m.indices_of("var")) {
        for (value, i) in values.zip(at) {
            let flag = VarFlag::parse_set(value).ok_or_else(|| {
                InputError::new("input::bad-flag", format!("--var `{value}` has no `=`"))
                    .with_help("write it as terraform does: --var NAME=VALUE")
            })?;
            all.push((i, flag));
        }
    }
    if let (Ok(Some(values)), Some(at)) = (
        m.try_get_many::<std::path::PathBuf>("var_file"),
        m.indices_of("var_file"),
    ) {
        for (path, i) in values.zip(at) {
            if !preflight::files::Reader::DISK.is_input(path) {
                return Err(InputError::new(
                    "input::bad-flag",
                    format!("--var-file: `{}` is not a file", path.display()),
                )
                .with_help("name a .tfvars or .tfvars.json file"));
            }
            all.push((i, VarFlag::File(path.clone())));
        }
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, f)| f).collect())
}

/// Request logs on stderr: `-v` shows preflight's debug events; otherwise `PREFLIGHT_LOG` or
/// `RUST_LOG` filter them (`PREFLIGHT_LOG=preflight::http=debug`); by default, none.
pub fn init_logging(verbose: u8) {
    let filter = if verbose > 0 {
        Some("preflight=debug".to_string())
    } else {
        std::env::var("PREFLIGHT_LOG")
            .or_else(|_| std::env::var("RUST_LOG"))
            .ok()
    };
    let Some(filter) = filter else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("preflight=debug"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .try_init();
}

/// Whether log lines are being printed (then no spinner: they would fight over the line).
fn logging(verbose: u8) -> bool {
    verbose > 0
        || std::env::var_os("PREFLIGHT_LOG").is_some()
        || std::env::var_os("RUST_LOG").is_some()
}

/// A spinner on stderr while the clouds are asked, only on a terminal and without logs; it
/// shows the latest answer. `None` where it would not be seen.
pub fn spinner(
    config: &mut FetchConfig,
    verbose: u8,
    quiet: bool,
) -> Option<indicatif::ProgressBar> {
    if quiet || logging(verbose) || !io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {wide_msg}") {
        bar.set_style(style);
    }
    bar.set_message("asking the clouds");
    bar.enable_steady_tick(Duration::from_millis(100));
    let shown = bar.clone();
    let answers = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    config.log = Some(Arc::new(move |line: String| {
        let n = answers.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        shown.set_message(format!("asking the clouds: {n} answers; {line}"));
    }));
    Some(bar)
}

pub fn print_input_errors(errors: &[InputError]) -> io::Result<Exit> {
    let report = Report {
        errors: errors.to_vec(),
        ..Report::default()
    };
    let to_terminal = io::stderr().is_terminal();
    let style = HumanStyle {
        color: colour(preflight::cli::ColorChoice::Auto, to_terminal),
        width: width(to_terminal && io::stdout().is_terminal()),
    };
    report.write_errors_only(&style, &mut io::stderr().lock())?;
    Ok(Exit::BadInput)
}

/// Warnings about the run itself (the cache), on stderr: a report never carries them.
pub fn print_warnings(warnings: &[String]) {
    let mut err = io::stderr().lock();
    for w in warnings {
        let _ = writeln!(err, "preflight: warning: {w}");
    }
}

pub fn print_stdout(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Whether to colour a stream: `--color always` / `never` say so; else `FORCE_COLOR` or
/// `CLICOLOR_FORCE` (set, and not `0`) force it, `NO_COLOR` (set, and not empty; no-color.org)
/// turns it off, and otherwise only a terminal gets colour.
pub fn colour(choice: preflight::cli::ColorChoice, to_terminal: bool) -> bool {
    use preflight::cli::ColorChoice;
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if ["FORCE_COLOR", "CLICOLOR_FORCE"]
                .iter()
                .any(|v| set(v).is_some_and(|v| v != "0"))
            {
                true
            } else if set("NO_COLOR").is_some() {
                false
            } else {
                to_terminal
            }
        }
    }
}

/// How wide the output is: the terminal's width when it goes to one (as standard output's
/// terminal reports it, on every platform), else `COLUMNS`, else 100 (at least 40 either way).
pub fn width(to_terminal: bool) -> usize {
    let terminal = to_terminal
        .then(terminal_size::terminal_size)
        .flatten()
        .map(|(w, _)| usize::from(w.0));
    let columns = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
    };
    terminal
        .or_else(columns)
        .filter(|&w| w >= 40)
        .unwrap_or(100)
}
