//! The `preflight` binary: parse the command line, run, map the outcome to an exit code.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use std::sync::Arc;
use std::time::Duration;

use preflight::cli::{Cli, Command, FetchArgs, NetworkArgs, ValidateArgs};
use preflight::clouds::FetchConfig;
use preflight::config::Config;
use preflight::error::InputError;
use preflight::policy::Policy;
use preflight::report::{Format, HumanStyle, Report};
use preflight::{ValidateOptions, checks, plan, suggest};

fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // `--var` and `--var-file` apply in the order given, across both flags.
    let tf_vars = matches
        .subcommand()
        .filter(|(name, _)| matches!(*name, "validate" | "fetch"))
        .map(|(_, m)| tf_vars_in_order(m))
        .unwrap_or_else(|| Ok(Vec::new()));
    init_logging(match &cli.command {
        Command::Validate(a) => a.verbose,
        Command::Fetch(a) => a.verbose,
        Command::Credentials(a) => a.verbose,
        _ => 0,
    });
    let tf_vars = match tf_vars {
        Ok(v) => v,
        Err(e) => {
            let code = print_input_errors(&[e]).unwrap_or(2);
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Validate(args) => validate(args, tf_vars),
        Command::Explain { rule, rules } => explain(&rule, &rules),
        Command::Rules { rules } => list_rules(&rules),
        Command::Fetch(args) => fetch(args, tf_vars),
        Command::Credentials(args) => credentials(args),
        Command::Lsp(args) => lsp(args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "preflight", &mut script);
            io::stdout().lock().write_all(&script).map(|()| 0)
        }
        Command::Permissions { cloud } => {
            let text = match cloud {
                Some(c) => {
                    let policy = preflight::clouds::permissions::policy(c.into());
                    // One cloud: the document alone, to pipe into a file or a CLI.
                    policy
                        .split_once('\n')
                        .map_or(policy.clone(), |(_, doc)| doc.to_string())
                }
                None => {
                    let mut all = preflight::cloud::Cloud::ALL
                        .map(preflight::clouds::permissions::policy)
                        .to_vec();
                    all.insert(2, preflight::clouds::permissions::assume_role_policy());
                    all.join("\n")
                }
            };
            print_stdout(&text).map(|()| 0)
        }
        Command::Schema => print_stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&plan::json_schema()).unwrap_or_default()
        ))
        .map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // A closed pipe (`preflight rules | head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "preflight: {e}");
            ExitCode::from(2)
        }
    }
}

/// `--var NAME=VALUE` and `--var-file FILE`, in the order they were given.
fn tf_vars_in_order(
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
            if !preflight::files::is_input(path) {
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
fn init_logging(verbose: u8) {
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
fn spinner(config: &mut FetchConfig, verbose: u8, quiet: bool) -> Option<indicatif::ProgressBar> {
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

/// The config file for `--config`, or the one found from the working directory.
fn load_config(explicit: Option<&std::path::Path>) -> Result<Config, Vec<InputError>> {
    preflight::config::find(explicit, std::path::Path::new("."))
}

/// Reads of FIFOs and devices wait as long as a cloud may: `--timeout`, else the config
/// file's, else a minute.
fn set_read_deadline(network: &NetworkArgs, file: &Config) {
    let secs = network
        .timeout
        .or(file.timeout_secs)
        .filter(|t| t.is_finite() && *t > 0.0)
        .unwrap_or(60.0)
        .min(86_400.0);
    preflight::files::set_blocking_deadline(Duration::from_secs_f64(secs));
}

fn fetch(args: FetchArgs, tf_vars: Vec<preflight::terraform::VarFlag>) -> io::Result<u8> {
    let file = match load_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(errors) => return print_input_errors(&errors),
    };
    set_read_deadline(&args.network, &file);
    let mut config = match preflight::cli::fetch_config(&args.network, &file) {
        Ok(c) => c,
        Err(e) => return print_input_errors(&[e]),
    };
    let bar = spinner(&mut config, args.verbose, false);
    let options = ValidateOptions {
        paths: args.paths,
        include: [file.include.clone(), args.include].concat(),
        exclude: [file.exclude.clone(), args.exclude].concat(),
        tf_dir: args.terraform.tf_dir,
        tf_vars,
        tf_roots: args.terraform.tf_roots,
        rule_dirs: Vec::new(),
        facts: None,
        disable: Vec::new(),
        fetch: Some(config),
        config: file,
        preloaded: None,
    };
    let fetched = preflight::fetch_facts(&options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let preflight::clouds::Fetched {
        facts,
        requests,
        warnings,
        ..
    } = match fetched {
        Ok(f) => f,
        Err(errors) => return print_input_errors(&errors),
    };
    print_warnings(&warnings);
    if let Err(e) = preflight::files::write_report(&args.output, facts.to_json().as_bytes()) {
        let _ = writeln!(
            io::stderr(),
            "preflight: cannot write `{}`: {}",
            args.output.display(),
            preflight::io_reason(&e)
        );
        return Ok(2);
    }
    let failed = facts.failures();
    let mut err = io::stderr().lock();
    if failed == 0 {
        writeln!(
            err,
            "preflight: wrote {} ({requests} requests)",
            args.output.display()
        )?;
        Ok(0)
    } else {
        writeln!(
            err,
            "preflight: wrote {} ({requests} requests), but {failed} fact(s) could not be fetched; \
             their `error` says why, and pairings that need them will be unverified",
            args.output.display()
        )?;
        Ok(3)
    }
}

fn lsp(args: preflight::cli::LspArgs) -> io::Result<u8> {
    // A keystroke must not wait a minute on a FIFO in the workspace.
    preflight::files::set_blocking_deadline(Duration::from_secs(2));
    let settings = preflight::lsp::Settings {
        facts: args.facts,
        offline: args.offline,
        rules: args.rules,
        config: args.config,
    };
    match preflight::lsp::run(settings) {
        Ok(()) => Ok(0),
        Err(why) => {
            let _ = writeln!(io::stderr(), "preflight lsp: {why}");
            Ok(1)
        }
    }
}

fn validate(args: ValidateArgs, tf_vars: Vec<preflight::terraform::VarFlag>) -> io::Result<u8> {
    // A bad config file or endpoint is an input error like any other: it goes through the
    // report, so `--format json` and the others carry it too.
    let setup = load_config(args.config.as_deref()).and_then(|file| {
        set_read_deadline(&args.network, &file);
        if args.unsafe_fixes && !(args.fix || args.diff) {
            return Err(vec![
                InputError::new("input::bad-flag", "--unsafe-fixes applies fixes: give it with --fix or --diff")
                    .with_help("`preflight validate --fix --unsafe-fixes` applies them; `--diff --unsafe-fixes` shows them"),
            ]);
        }
        if let Some(dir) = args.root.as_ref().filter(|d| !d.is_dir()) {
            return Err(vec![
                InputError::new(
                    "input::bad-flag",
                    format!("--root: `{}` is not a directory", dir.display()),
                )
                .with_help("name the repository's top directory, or leave --root out to use the nearest one holding `.git`"),
            ]);
        }
        let fetch = match &args.facts {
            Some(_) => None,
            None => {
                let mut c = preflight::cli::fetch_config(&args.network, &file).map_err(|e| vec![e])?;
                c.offline = args.offline;
                Some(c)
            }
        };
        Ok((file, fetch))
    });
    let (file, fetch, setup_errors) = match setup {
        Ok((file, fetch)) => (file, fetch, Vec::new()),
        Err(errors) => (Config::default(), None, errors),
    };
    let fail_on = args
        .fail_on
        .map(Into::into)
        .or(file.fail_on)
        .unwrap_or(preflight::diagnostic::Severity::Error);
    let allow_unverified = args.allow_unverified || file.allow_unverified.unwrap_or(false);
    let mut options = ValidateOptions {
        paths: args.paths,
        include: [file.include.clone(), args.include].concat(),
        exclude: [file.exclude.clone(), args.exclude].concat(),
        tf_dir: args.terraform.tf_dir,
        tf_vars,
        tf_roots: args.terraform.tf_roots,
        rule_dirs: [file.rules.clone(), args.rules].concat(),
        facts: args.facts,
        disable: args.disable,
        fetch,
        config: file,
        preloaded: None,
    };
    let mut report = if setup_errors.is_empty() {
        let bar = options
            .fetch
            .as_mut()
            .filter(|c| !c.offline)
            .and_then(|c| spinner(c, args.verbose, args.quiet));
        let mut report = preflight::validate(&options);
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        if (args.fix || args.diff) && report.errors.is_empty() {
            let fixes = preflight::fix::plan_fixes(&report.diagnostics, args.unsafe_fixes);
            let count: usize = fixes.iter().map(|f| f.applied.len()).sum();
            if args.diff {
                let mut out = String::new();
                for f in &fixes {
                    out.push_str(&preflight::fix::unified_diff(f));
                }
                print_stdout(&out)?;
                let flags = if args.unsafe_fixes {
                    "--fix --unsafe-fixes"
                } else {
                    "--fix"
                };
                let _ = writeln!(
                    io::stderr(),
                    "preflight: {flags} would apply {count} fix(es) in {} file(s)",
                    fixes.len()
                );
                return Ok(u8::from(count > 0));
            }
            match preflight::fix::write(&fixes) {
                Ok(()) => {}
                Err(preflight::fix::NotWritten::Changed(path)) => {
                    let _ = writeln!(
                        io::stderr(),
                        "preflight: `{path}` changed while preflight checked it, so no fix was written; run it again"
                    );
                    return Ok(2);
                }
                Err(preflight::fix::NotWritten::Io(path, e)) => {
                    let _ = writeln!(
                        io::stderr(),
                        "preflight: cannot write the fixes to `{path}`: {}",
                        preflight::io_reason(&e)
                    );
                    return Ok(2);
                }
            }
            if count > 0 {
                let _ = writeln!(
                    io::stderr(),
                    "preflight: fixed {count} finding(s) in {} file(s)",
                    fixes.len()
                );
                // What is left, read from the fixed files.
                report = preflight::validate(&options);
            }
        }
        report
    } else {
        Report {
            errors: setup_errors,
            ..Report::default()
        }
    };
    report.gate = preflight::report::Gate {
        fail_on,
        allow_unverified,
    };
    report.root = Some(match &args.root {
        Some(dir) => preflight::report::Root::new(dir, Path::new(".")),
        None => preflight::report::Root::discover(Path::new(".")),
    });
    let code = preflight::exit_code(&report);
    print_warnings(&report.warnings);
    if args.verbose > 0 {
        let mut err = io::stderr().lock();
        let source = match (&options.facts, &options.fetch) {
            (Some(p), _) => p.display().to_string(),
            (None, Some(_)) => format!(
                "the clouds ({} requests, {} answers from the cache)",
                report.requests, report.cache_hits
            ),
            (None, None) => "nowhere".to_string(),
        };
        writeln!(
            err,
            "preflight: {} plan(s), {} pairing(s); facts from {source}",
            report.plans, report.pairings
        )?;
    }
    if args.quiet {
        report.notices.clear();
    }

    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let style = HumanStyle {
        color: to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        width: std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .filter(|&w: &usize| w >= 40)
            .unwrap_or(100),
    };
    let mut buffer = Vec::new();
    if args.format == Format::Human {
        if !report.errors.is_empty() {
            let err_style = HumanStyle {
                color: io::stderr().is_terminal() && style.color,
                ..style
            };
            report.write_errors(&err_style, &mut io::stderr().lock())?;
            return Ok(code);
        }
        write_human(&report, &style, args.quiet, &mut buffer)?;
    } else {
        report.write(args.format, &style, &mut buffer)?;
    }
    if args.format == Format::Github
        && let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())
    {
        let mut summary = Vec::new();
        preflight::report::write_step_summary(&report, &mut summary)?;
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(&summary));
        if let Err(e) = appended {
            let _ = writeln!(
                io::stderr(),
                "preflight: cannot write the job summary to `{}`: {}",
                std::path::Path::new(&path).display(),
                preflight::io_reason(&e)
            );
        }
    }
    match &args.output {
        Some(path) => {
            if let Err(e) = preflight::files::write_report(path, &buffer) {
                let _ = writeln!(
                    io::stderr(),
                    "preflight: cannot write `{}`: {}",
                    path.display(),
                    preflight::io_reason(&e)
                );
                return Ok(2);
            }
        }
        None => io::stdout().lock().write_all(&buffer)?,
    }
    Ok(code)
}

/// Human output; `--quiet` keeps only the findings.
fn write_human(
    report: &Report,
    style: &HumanStyle,
    quiet: bool,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    report.write(Format::Human, style, out)?;
    if quiet {
        // The summary is the last line; drop it.
        if let Some(end) = out[..out.len().saturating_sub(1)]
            .iter()
            .rposition(|&b| b == b'\n')
        {
            out.truncate(end + 1);
        } else {
            out.clear();
        }
    }
    Ok(())
}

/// `preflight credentials`: for each cloud, where its credentials come from and, with
/// `--check`, whether the cloud takes them. Exit 0 when every cloud has credentials (that
/// work, with `--check`), 1 when a cloud refused them, 3 when one has none or a check could
/// not tell, 2 for bad input.
fn credentials(args: preflight::cli::CredentialsArgs) -> io::Result<u8> {
    use preflight::cloud::Cloud;
    use preflight::clouds::check::{self, Verdict};
    let file = match load_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(errors) => return print_input_errors(&errors),
    };
    let network = NetworkArgs {
        timeout: args.timeout,
        concurrency: None,
        no_cache: true,
        refresh: false,
    };
    let config = match preflight::cli::fetch_config(&network, &file) {
        Ok(c) => c,
        Err(e) => return print_input_errors(&[e]),
    };
    // The clouds to look at, each with a place the plans name (for the check).
    let mut clouds: Vec<(Cloud, Option<String>)> = Vec::new();
    if !args.paths.is_empty() {
        let options = ValidateOptions {
            paths: args.paths.clone(),
            include: file.include.clone(),
            exclude: file.exclude.clone(),
            ..ValidateOptions::default()
        };
        match preflight::places_of(&options) {
            Ok(places) => clouds.extend(places.into_iter().map(|(c, p)| (c, Some(p)))),
            Err(errors) => return print_input_errors(&errors),
        }
    }
    for cloud in &args.cloud {
        let cloud: Cloud = (*cloud).into();
        if !clouds.iter().any(|(c, _)| *c == cloud) {
            clouds.push((cloud, None));
        }
    }
    if args.paths.is_empty() && args.cloud.is_empty() {
        clouds = Cloud::ALL.iter().map(|c| (*c, None)).collect();
    }
    if !args.cloud.is_empty() {
        clouds.retain(|(c, _)| args.cloud.iter().any(|a| Cloud::from(*a) == *c));
    }
    let mut out = String::new();
    let mut code = 0u8;
    for (cloud, place) in &clouds {
        let found =
            preflight::clouds::credentials::find(*cloud, &*config.env, config.home.as_deref());
        let name = cloud.as_str();
        let found = match found {
            Err(why) => {
                let how = why
                    .split_once(" credentials: ")
                    .map_or(why.as_str(), |(_, how)| how);
                out.push_str(&format!("{name:<9} none: {how}\n"));
                code = code.max(3);
                continue;
            }
            Ok(found) => found,
        };
        if found.last_try {
            // Nothing configured: only an ECS instance's role could still answer.
            out.push_str(&format!(
                "{name:<9} none configured; last try: {}\n",
                found.described
            ));
        } else {
            out.push_str(&format!("{name:<9} {}\n", found.described));
        }
        if !args.check {
            if found.last_try {
                code = code.max(3);
            }
            continue;
        }
        let place = place
            .clone()
            .unwrap_or_else(|| check::default_place(*cloud).to_string());
        let (line, worst) = match check::check(*cloud, &place, &found, &config) {
            Verdict::Works(what) => (format!("works: {what}"), 0),
            Verdict::Refused(why) => (format!("refused: {why}"), 1),
            Verdict::Unclear(why) => (format!("could not tell: {why}"), 3),
        };
        out.push_str(&format!("{:<9} {line}\n", ""));
        // A refusal is the worse news: it decides the code over "could not tell".
        code = match (code, worst) {
            (1, _) | (_, 1) => 1,
            (a, b) => a.max(b),
        };
    }
    print_stdout(&out)?;
    Ok(code)
}

fn explain(rule: &str, dirs: &[std::path::PathBuf]) -> io::Result<u8> {
    if let Some(r) = checks::builtin(rule) {
        return print_stdout(&r.doc()).map(|()| 0);
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
        return print_stdout(&text).map(|()| 0);
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

fn list_rules(dirs: &[std::path::PathBuf]) -> io::Result<u8> {
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
    print_stdout(&text).map(|()| 0)
}

fn print_input_errors(errors: &[InputError]) -> io::Result<u8> {
    let report = Report {
        errors: errors.to_vec(),
        ..Report::default()
    };
    let style = HumanStyle {
        color: io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        width: 100,
    };
    report.write_errors_only(&style, &mut io::stderr().lock())?;
    Ok(2)
}

/// Warnings about the run itself (the cache), on stderr: a report never carries them.
fn print_warnings(warnings: &[String]) {
    let mut err = io::stderr().lock();
    for w in warnings {
        let _ = writeln!(err, "preflight: warning: {w}");
    }
}

fn print_stdout(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}
