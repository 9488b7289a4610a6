//! `preflight validate`: check plans, print the report in the format asked, apply or show
//! fixes, and end with the gate's exit code.

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use preflight::ValidateOptions;
use preflight::cli::ValidateArgs;
use preflight::error::InputError;
use preflight::exit::Exit;
use preflight::report::{Format, HumanStyle, Report};
use preflight::settings::{self, Asked};

use super::{print_stdout, print_warnings, spinner};

/// `preflight baseline`: the run of `validate`, written as a baseline file instead of a
/// report.
pub fn write_baseline(
    mut args: ValidateArgs,
    tf_vars: Vec<preflight::terraform::VarFlag>,
) -> io::Result<Exit> {
    let out = args
        .output
        .take()
        .unwrap_or_else(|| std::path::PathBuf::from(".preflight-baseline.json"));
    args.baseline = None;
    args.fix = false;
    args.diff = false;
    run_as(args, tf_vars, Some(out))
}

pub fn run(args: ValidateArgs, tf_vars: Vec<preflight::terraform::VarFlag>) -> io::Result<Exit> {
    run_as(args, tf_vars, None)
}

fn run_as(
    args: ValidateArgs,
    tf_vars: Vec<preflight::terraform::VarFlag>,
    baseline_out: Option<std::path::PathBuf>,
) -> io::Result<Exit> {
    // A bad config file or endpoint is an input error like any other: it goes through the
    // report, so `--format json` and the others carry it too.
    let asked = Asked {
        config: args.config.as_deref(),
        facts: args.facts.is_some(),
        offline: args.offline,
        fail_on: args.fail_on.map(Into::into),
        allow_unverified: args.allow_unverified,
        include: &args.include,
        exclude: &args.exclude,
        rules: &args.rules,
        ..Asked::defaults(Path::new("."), &args.network)
    };
    let setup = settings::resolve(&asked).and_then(|settings| {
        preflight::files::set_blocking_deadline(settings.read_deadline);
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
        Ok(settings)
    });
    let (settings, setup_errors) = match setup {
        Ok(settings) => (Some(settings), Vec::new()),
        Err(errors) => (None, errors),
    };
    let gate = settings.as_ref().map_or(
        preflight::report::Gate {
            fail_on: asked
                .fail_on
                .unwrap_or(preflight::diagnostic::Severity::Error),
            allow_unverified: args.allow_unverified,
        },
        |s| s.gate,
    );
    let mut options = ValidateOptions {
        paths: args.paths,
        tf_dir: args.terraform.tf_dir,
        tf_vars,
        tf_roots: args.terraform.tf_roots,
        facts: args.facts,
        disable: args.disable,
        ..ValidateOptions::default()
    };
    if let Some(s) = settings {
        options.include = s.include;
        options.exclude = s.exclude;
        options.rule_dirs = s.rule_dirs;
        options.fetch = s.fetch;
        options.config = s.config;
    }
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
        report.root = Some(match &args.root {
            Some(dir) => preflight::report::Root::new(dir, Path::new(".")),
            None => preflight::report::Root::discover(Path::new(".")),
        });
        if let Some(out) = &baseline_out
            && report.errors.is_empty()
        {
            let (n, text) = preflight::report::Baseline::write(&report);
            return match preflight::files::write_report(out, text.as_bytes()) {
                Ok(()) => {
                    let _ = writeln!(
                        io::stderr(),
                        "preflight: wrote {} to {}; `preflight validate --baseline {}` reports only new ones",
                        preflight::report::plural(n, "finding", "findings"),
                        out.display(),
                        out.display()
                    );
                    Ok(Exit::Passed)
                }
                Err(e) => {
                    let _ = writeln!(
                        io::stderr(),
                        "preflight: cannot write `{}`: {}",
                        out.display(),
                        preflight::io_reason(&e)
                    );
                    Ok(Exit::BadInput)
                }
            };
        }
        if let Some(path) = &args.baseline
            && report.errors.is_empty()
        {
            match options
                .reader()
                .read_source(path, preflight::error::Kind::Baseline)
                .and_then(|file| preflight::report::Baseline::read(&file))
            {
                Ok(baseline) => baseline.apply(&mut report),
                Err(e) => report.errors.push(e),
            }
        }
        if (args.fix || args.diff) && report.errors.is_empty() {
            let fixing = Fixing {
                diff: args.diff,
                unsafe_fixes: args.unsafe_fixes,
                gate,
            };
            match fix(fixing, &options, report)? {
                Ok(left) => report = left,
                Err(exit) => return Ok(exit),
            }
        }
        report
    } else {
        Report {
            errors: setup_errors,
            ..Report::default()
        }
    };
    report.gate = gate;
    report.root = Some(match &args.root {
        Some(dir) => preflight::report::Root::new(dir, Path::new(".")),
        None => preflight::report::Root::discover(Path::new(".")),
    });
    let code = preflight::exit_code(&report);
    print_warnings(&report.warnings);
    if args.verbose > 0 {
        say_what_was_read(&options, &report)?;
    }
    if args.quiet {
        report.notices.clear();
    }

    let shown = Shown {
        format: args.format,
        output: args.output.as_deref(),
        quiet: args.quiet,
        color: args.color,
    };
    print(shown, &report, code)
}

/// `-v`: how many plans and pairings were read, and where the facts came from.
fn say_what_was_read(options: &ValidateOptions, report: &Report) -> io::Result<()> {
    {
        let mut err = io::stderr().lock();
        for i in &report.inputs {
            let what = if Path::new(&i.path).is_dir() {
                "the root module "
            } else {
                ""
            };
            let input = match &i.written_by {
                Some(tool) => format!("{} (written by {tool})", i.path),
                None => i.path.clone(),
            };
            let files = &i.files;
            if files.is_empty() {
                writeln!(err, "preflight: read {what}{input}")?;
            } else {
                writeln!(err, "preflight: read {what}{input}: {}", files.join(", "))?;
            }
        }
    }
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
        "preflight: {}, {}; facts from {source}",
        preflight::report::plural(report.plans, "plan", "plans"),
        preflight::report::plural(report.pairings, "pairing", "pairings")
    )?;
    Ok(())
}

/// What `--fix`, `--diff` and `--unsafe-fixes` ask.
#[derive(Clone, Copy)]
struct Fixing {
    diff: bool,
    unsafe_fixes: bool,
    /// What fails the run: `--diff` exits as the run would for what it cannot fix.
    gate: preflight::report::Gate,
}

/// Applies (or, with `--diff`, shows) the fixes `report` brings: `Ok(report)` is what is left
/// to report, read again from the fixed files; `Err` ends the run with that exit code.
fn fix(how: Fixing, options: &ValidateOptions, report: Report) -> io::Result<Result<Report, Exit>> {
    let fixes = preflight::fix::plan_fixes(&report.diagnostics, how.unsafe_fixes);
    let count: usize = fixes.iter().map(|f| f.applied.len()).sum();
    if how.diff {
        let mut out = String::new();
        for f in &fixes {
            out.push_str(&preflight::fix::unified_diff(f));
        }
        print_stdout(&out)?;
        let flags = if how.unsafe_fixes {
            "--fix --unsafe-fixes"
        } else {
            "--fix"
        };
        // Fixes left out because they are unsafe are said, never passed over.
        let unsafe_left = if how.unsafe_fixes {
            0
        } else {
            preflight::fix::plan_fixes(&report.diagnostics, true)
                .iter()
                .map(|f| f.applied.len())
                .sum::<usize>()
                - count
        };
        let more = if unsafe_left > 0 {
            format!(" ({unsafe_left} more with --unsafe-fixes)")
        } else {
            String::new()
        };
        let _ = writeln!(
            io::stderr(),
            "preflight: {flags} would apply {} in {}{more}",
            preflight::report::plural(count, "fix", "fixes"),
            preflight::report::plural(fixes.len(), "file", "files")
        );
        // A diff to apply fails the run; with none, the findings decide, as without --diff.
        let mut left = report;
        left.gate = how.gate;
        return Ok(Err(if count > 0 {
            Exit::Failed
        } else {
            preflight::exit_code(&left)
        }));
    }
    match preflight::fix::write(&fixes) {
        Ok(()) => {}
        Err(preflight::fix::NotWritten::Changed(path)) => {
            let _ = writeln!(
                io::stderr(),
                "preflight: `{path}` changed while preflight checked it, so no fix was written; run it again"
            );
            return Ok(Err(Exit::BadInput));
        }
        Err(preflight::fix::NotWritten::Io(path, e)) => {
            let _ = writeln!(
                io::stderr(),
                "preflight: cannot write the fixes to `{path}`: {}",
                preflight::io_reason(&e)
            );
            return Ok(Err(Exit::BadInput));
        }
    }
    if count > 0 {
        let _ = writeln!(
            io::stderr(),
            "preflight: fixed {} in {}",
            preflight::report::plural(count, "finding", "findings"),
            preflight::report::plural(fixes.len(), "file", "files")
        );
        // What is left, read from the fixed files.
        return Ok(Ok(preflight::validate(options)));
    }
    Ok(Ok(report))
}

/// Where and how the report is shown.
#[derive(Clone, Copy)]
struct Shown<'a> {
    format: Format,
    output: Option<&'a Path>,
    quiet: bool,
    color: preflight::cli::ColorChoice,
}

/// Writes the report as `--format` and `--output` ask; `code` is the run's exit code, unless
/// the report cannot be written.
fn print(shown: Shown, report: &Report, code: Exit) -> io::Result<Exit> {
    let to_terminal = shown.output.is_none() && io::stdout().is_terminal();
    let style = HumanStyle {
        color: super::colour(shown.color, to_terminal),
        width: super::width(to_terminal),
    };
    let mut buffer = Vec::new();
    if shown.format == Format::Human {
        if !report.errors.is_empty() {
            let err_style = HumanStyle {
                color: io::stderr().is_terminal() && style.color,
                ..style
            };
            report.write_errors(&err_style, &mut io::stderr().lock())?;
            return Ok(code);
        }
        write_human(report, &style, shown.quiet, &mut buffer)?;
    } else {
        report.write(shown.format, &style, &mut buffer)?;
        // `-q`: only the findings, in compact too.
        if shown.quiet && shown.format == Format::Compact && report.errors.is_empty() {
            drop_last_line(&mut buffer);
        }
    }
    if shown.format == Format::Github
        && let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())
    {
        let mut summary = Vec::new();
        preflight::report::write_step_summary(report, &mut summary)?;
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
    match shown.output {
        Some(path) => {
            if let Err(e) = preflight::files::write_report(path, &buffer) {
                let _ = writeln!(
                    io::stderr(),
                    "preflight: cannot write `{}`: {}",
                    path.display(),
                    preflight::io_reason(&e)
                );
                return Ok(Exit::BadInput);
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
        drop_last_line(out);
    }
    Ok(())
}

/// Drops the summary, the last line.
fn drop_last_line(out: &mut Vec<u8>) {
    match out[..out.len().saturating_sub(1)]
        .iter()
        .rposition(|&b| b == b'\n')
    {
        Some(end) => out.truncate(end + 1),
        None => out.clear(),
    }
}
