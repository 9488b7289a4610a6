//! `preflight fetch`: ask the clouds what the plans need and write a facts file.

use std::io::{self, Write};
use std::path::Path;

use preflight::ValidateOptions;
use preflight::cli::FetchArgs;
use preflight::exit::Exit;
use preflight::settings::{self, Asked};

use super::{print_input_errors, print_warnings, spinner};

pub fn run(args: FetchArgs, tf_vars: Vec<preflight::terraform::VarFlag>) -> io::Result<Exit> {
    let asked = Asked {
        config: args.config.as_deref(),
        include: &args.include,
        exclude: &args.exclude,
        ..Asked::defaults(Path::new("."), &args.network)
    };
    let settings = match settings::resolve(&asked) {
        Ok(s) => s,
        Err(errors) => return print_input_errors(&errors),
    };
    preflight::files::set_blocking_deadline(settings.read_deadline);
    // Without a facts file (`fetch` takes none), resolving always gives a fetch configuration.
    let Some(mut config) = settings.fetch else {
        return Ok(Exit::BadInput);
    };
    let bar = spinner(&mut config, args.verbose, false);
    let options = ValidateOptions {
        paths: args.paths,
        include: settings.include,
        exclude: settings.exclude,
        tf_dir: args.terraform.tf_dir,
        tf_vars,
        tf_roots: args.terraform.tf_roots,
        fetch: Some(config),
        config: settings.config,
        ..ValidateOptions::default()
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
        return Ok(Exit::BadInput);
    }
    let failed = facts.failures();
    let mut err = io::stderr().lock();
    if failed == 0 {
        writeln!(
            err,
            "preflight: wrote {} ({requests} requests)",
            args.output.display()
        )?;
        Ok(Exit::Passed)
    } else {
        writeln!(
            err,
            "preflight: wrote {} ({requests} requests), but {failed} fact(s) could not be fetched; \
             their `error` says why, and pairings that need them will be unverified",
            args.output.display()
        )?;
        Ok(Exit::Unverified)
    }
}
