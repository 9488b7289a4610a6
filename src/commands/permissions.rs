//! `preflight permissions [CLOUD]`: the least-privilege policy each cloud needs.

use std::io;

use preflight::cli::CloudArg;
use preflight::cloud::Cloud;
use preflight::clouds::permissions;
use preflight::exit::Exit;

use super::print_stdout;

pub fn run(cloud: Option<CloudArg>) -> io::Result<Exit> {
    let text = match cloud {
        Some(c) => {
            let policy = permissions::policy(c.into());
            // One cloud: the document alone, to pipe into a file or a CLI.
            policy
                .split_once('\n')
                .map_or(policy.clone(), |(_, doc)| doc.to_string())
        }
        None => {
            let mut all = Cloud::ALL.map(permissions::policy).to_vec();
            all.insert(2, permissions::assume_role_policy());
            all.join("\n")
        }
    };
    print_stdout(&text).map(|()| Exit::Passed)
}
