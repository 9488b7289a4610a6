//! `preflight schema`: the plan file's JSON Schema.

use std::io;

use preflight::exit::Exit;
use preflight::plan;

use super::print_stdout;

pub fn run() -> io::Result<Exit> {
    print_stdout(&format!(
        "{}\n",
        serde_json::to_string_pretty(&plan::json_schema()).unwrap_or_default()
    ))
    .map(|()| Exit::Passed)
}
