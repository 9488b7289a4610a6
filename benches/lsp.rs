//! The language server's latency, as an editor sees it: the binary's `preflight lsp` over
//! stdio with a facts file; each edit (a whole-text `didChange`, as the server asks for) is
//! timed from the moment it is written to the moment its `publishDiagnostics` is read. Edits
//! alternate between two texts, one with a typo more, so every one is checked anew.
//! Run with `cargo bench --bench lsp`; it prints a table, it asserts nothing.

#[path = "../tests/it/support/lsp_client.rs"]
mod lsp_client;
// The one hermetic environment the client starts the server with.
#[path = "../tests/it/support/run.rs"]
mod run;
mod support;

use std::time::{Duration, Instant};

use lsp_client::Client;
use serde_json::json;
use support::{facts, plan_text};

const EDITS: usize = 41;

fn main() {
    let dir = std::env::temp_dir().join(format!("preflight-lsp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let facts_path = dir.join("facts.json");
    std::fs::write(&facts_path, facts().to_json()).expect("write facts");
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_preflight"));
    println!(
        "{:>9}  {:>8}  {:>8}  {:>10}  {:>10}  {:>10}",
        "instances", "plan KiB", "findings", "median", "p90", "max"
    );
    for n in [50, 1_000, 10_000] {
        let plan = dir.join(format!("bench-{n}.plan.yaml"));
        let text = plan_text(n);
        std::fs::write(&plan, &text).expect("write plan");
        let typo = text.replacen(
            "instance_type: a.x1.large\n",
            "instance_type: a.x1.larg\n",
            1,
        );
        let facts = facts_path.display().to_string();
        let mut client = Client::start_binary(binary, &["--facts", &facts], Vec::new(), &dir);
        client.initialize(json!({}), json!({}));
        let uri = client.open(&plan, &text);
        let findings = client.diagnostics(&uri).len();
        let mut times = Vec::new();
        for edit in 0..EDITS {
            let body = if edit % 2 == 0 { &typo } else { &text };
            let start = Instant::now();
            client.change(&uri, edit as i64 + 2, body);
            client.diagnostics(&uri);
            times.push(start.elapsed());
        }
        client.shutdown();
        times.sort();
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
        println!(
            "{n:>9}  {:>8}  {findings:>8}  {:>10}  {:>10}  {:>10}",
            text.len() / 1024,
            ms(times[times.len() / 2]),
            ms(times[times.len() * 9 / 10]),
            ms(times[times.len() - 1]),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
