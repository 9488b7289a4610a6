//! `preflight credentials`: where each cloud's credentials come from and, with `--check`,
//! whether the cloud takes them.

use std::io;
use std::path::Path;

use preflight::ValidateOptions;
use preflight::cli::NetworkArgs;
use preflight::exit::Exit;
use preflight::settings::{self, Asked};

use super::{print_input_errors, print_stdout};

/// `preflight credentials`: for each cloud, where its credentials come from and, with
/// `--check`, whether the cloud takes them. Exit 0 when every cloud has credentials (that
/// work, with `--check`), 1 when a cloud refused them, 3 when one has none or a check could
/// not tell, 2 for bad input.
pub fn run(args: preflight::cli::CredentialsArgs) -> io::Result<Exit> {
    use preflight::cloud::Cloud;
    use preflight::clouds::check::{self, Verdict};
    let network = NetworkArgs {
        timeout: args.timeout,
        concurrency: None,
        no_cache: true,
        refresh: false,
        dry_run: false,
    };
    let asked = Asked {
        config: args.config.as_deref(),
        ..Asked::defaults(Path::new("."), &network)
    };
    let settings = match settings::resolve(&asked) {
        Ok(s) => s,
        Err(errors) => return print_input_errors(&errors),
    };
    preflight::files::set_blocking_deadline(settings.read_deadline);
    let Some(config) = settings.fetch else {
        return Ok(Exit::BadInput);
    };
    // The clouds to look at, each with a place the plans name (for the check).
    let mut clouds: Vec<(Cloud, Option<String>)> = Vec::new();
    if !args.paths.is_empty() {
        let options = ValidateOptions {
            paths: args.paths.clone(),
            include: settings.include.clone(),
            exclude: settings.exclude.clone(),
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
    let mut code = Exit::Passed;
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
                code = code.worse(Exit::Unverified);
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
                code = code.worse(Exit::Unverified);
            }
            continue;
        }
        let place = place
            .clone()
            .unwrap_or_else(|| check::default_place(*cloud).to_string());
        let (line, worst) = match check::check(*cloud, &place, &found, &config) {
            Verdict::Works(what) => (format!("works: {what}"), Exit::Passed),
            Verdict::Refused(why) => (format!("refused: {why}"), Exit::Failed),
            Verdict::Unclear(why) => (format!("could not tell: {why}"), Exit::Unverified),
        };
        out.push_str(&format!("{:<9} {line}\n", ""));
        // A refusal is the worse news: it decides the code over "could not tell".
        code = code.worse(worst);
    }
    print_stdout(&out)?;
    Ok(code)
}
