//! `preflight lsp` driven as an editor drives it: the binary over stdio, with JSON-RPC framed
//! by `Content-Length` headers, through open, change, code action, hover, completion,
//! executeCommand, progress and shutdown.

use std::path::{Path, PathBuf};

use crate::support::fake_cloud::{FakeCloud, Fault};
use crate::support::lsp_client::{Client, uri};
use crate::support::run::{Project, scratch};
use serde_json::{Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn codes(diagnostics: &[Value]) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect();
    codes.sort();
    codes
}

/// The byte offset of an LSP position in `text`, counting columns in UTF-16 units.
fn offset(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap() as usize;
    let character = position["character"].as_u64().unwrap() as usize;
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// `text` with one code action's edits for `uri` applied, as the editor would apply them.
fn apply(text: &str, action: &Value, uri: &str) -> String {
    let mut edits: Vec<Value> = action["edit"]["changes"][uri]
        .as_array()
        .cloned()
        .expect("the action edits the document");
    edits.sort_by_key(|e| std::cmp::Reverse(offset(text, &e["range"]["start"])));
    let mut out = text.to_string();
    for e in edits {
        let start = offset(text, &e["range"]["start"]);
        let end = offset(text, &e["range"]["end"]);
        out.replace_range(start..end, e["newText"].as_str().unwrap());
    }
    out
}

fn position_of(text: &str, needle: &str) -> Value {
    let at = text.find(needle).expect("needle in text");
    let line = text[..at].matches('\n').count();
    let column = text[..at]
        .rsplit('\n')
        .next()
        .unwrap()
        .encode_utf16()
        .count();
    json!({"line": line, "character": column})
}

fn example() -> (PathBuf, String) {
    let path = Path::new(ROOT).join("examples/plan.yaml");
    let text = std::fs::read_to_string(&path).expect("the bundled example");
    (path, text)
}

fn facts_args() -> Vec<String> {
    vec!["--facts".to_string(), format!("{ROOT}/examples/facts.json")]
}

/// A server with the bundled facts, initialized, with the bundled example open: its uri
/// and text.
fn example_session(label: &str) -> (Client, String, String) {
    let mut client = start_with_facts(&scratch(label));
    client.initialize(json!({}), json!({}));
    let (path, text) = example();
    let uri = client.open(&path, &text);
    (client, uri, text)
}

fn start_with_facts(dir: &Path) -> Client {
    let args = facts_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Client::start(&args, Vec::new(), dir)
}

#[test]
fn the_bundled_example_shows_five_findings_and_the_quick_fix_makes_the_typo_go() {
    let dir = scratch("lsp-example");
    let mut client = start_with_facts(&dir);
    let init = client.initialize(json!({}), json!({}));
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["serverInfo"]["name"], "preflight");

    let (path, text) = example();
    let uri = client.open(&path, &text);
    let diagnostics = client.diagnostics(&uri);
    assert_eq!(
        codes(&diagnostics),
        [
            "image-quota-exceeded",
            "image-unavailable",
            "instance-type-excluded",
            "instance-type-not-included",
            "instance-type-unknown"
        ]
    );
    for d in &diagnostics {
        assert_eq!(d["source"], "preflight");
        assert_eq!(d["severity"], 1, "{d}");
    }
    // What the editor shows, pinned (re-bless with SNAPSHOTS=overwrite).
    let shown = serde_json::to_string_pretty(&diagnostics)
        .unwrap()
        .replace(ROOT, "[ROOT]");
    snapbox::assert_data_eq!(
        format!("{shown}\n"),
        snapbox::Data::read_from(
            Path::new(&format!("{ROOT}/testdata/lsp/example.diagnostics.json")),
            None
        )
        .raw()
    );
    let typo = diagnostics
        .iter()
        .find(|d| d["code"] == "instance-type-unknown")
        .unwrap()
        .clone();
    assert_eq!(typo["range"]["start"], position_of(&text, "m.n4.2xlarg"));

    // As Neovim asks: the cursor at the start of the line, the line's diagnostics along.
    let line_start = json!({"line": typo["range"]["start"]["line"], "character": 0});
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": line_start, "end": line_start},
               "context": {"diagnostics": [typo]}}),
    );
    let actions = actions.as_array().expect("actions");
    let preferred: Vec<&Value> = actions
        .iter()
        .filter(|a| a["isPreferred"] == true)
        .collect();
    assert_eq!(preferred.len(), 1, "{actions:?}");
    let fix = preferred[0];
    assert_eq!(fix["kind"], "quickfix");
    assert!(
        fix["title"].as_str().unwrap().contains("`m.n4.xlarge`"),
        "{fix}"
    );
    assert!(
        actions.iter().any(|a| a["title"]
            .as_str()
            .unwrap()
            .starts_with("Suppress `instance-type-unknown` for `cache`")),
        "{actions:?}"
    );

    let fixed = apply(&text, fix, &uri);
    assert!(fixed.contains("instance_type: m.n4.xlarge\n"));
    assert_eq!(fixed.len(), text.len(), "only the value changed");
    client.change(&uri, 2, &fixed);
    let after = client.diagnostics(&uri);
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(!codes(&after).contains(&"instance-type-unknown".to_string()));

    assert!(client.shutdown().success());
}

#[test]
fn ranges_equal_the_json_positions_in_the_negotiated_encoding() {
    let dir = scratch("lsp-encoding");
    // The emoji is one character, two UTF-16 units and four UTF-8 bytes before the value.
    let text = "instances:\n  - {name: \"🚀web\", cloud: jdcloud, region: cn-north-1, image: img-m5s0****30, instance_type: m.n4.2xlarg}\n";
    let plan = dir.join("emoji.plan.yaml");
    std::fs::write(&plan, text).unwrap();
    let facts = facts_args();
    let mut args = vec!["validate", "emoji.plan.yaml", "--format", "json"];
    args.extend(facts.iter().map(String::as_str));
    let out = Project::at(&dir)
        .command(Vec::new(), &args)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    let json = &report["diagnostics"][0];
    assert_eq!(json["rule"], "instance-type-unknown");
    let (line, column) = (
        json["line"].as_u64().unwrap(),
        json["column"].as_u64().unwrap(),
    );
    let end_column = json["end_column"].as_u64().unwrap();

    for (offered, encoding, shift) in [
        (json!(["utf-32"]), "utf-32", 0),
        (json!(["utf-8"]), "utf-8", 3),
        (json!([]), "utf-16", 1),
    ] {
        let mut client = start_with_facts(&dir);
        let init = client.initialize(
            json!({"general": {"positionEncodings": offered}}),
            json!({}),
        );
        assert_eq!(init["capabilities"]["positionEncoding"], encoding);
        let uri = client.open(&plan, text);
        let d = client.diagnostics(&uri);
        assert_eq!(d.len(), 1, "{d:?}");
        let range = &d[0]["range"];
        assert_eq!(range["start"]["line"], line - 1);
        assert_eq!(
            range["start"]["character"],
            column - 1 + shift,
            "{encoding}"
        );
        assert_eq!(
            range["end"]["character"],
            end_column - 1 + shift,
            "{encoding}"
        );
        assert!(client.shutdown().success());
    }
}

#[test]
fn broken_yaml_mid_edit_is_a_diagnostic_and_the_server_carries_on() {
    let (mut client, uri, text) = example_session("lsp-broken");
    assert_eq!(client.diagnostics(&uri).len(), 5);

    let broken = text.replace("  - name: cache\n", "  - name: [cache\n");
    client.change(&uri, 2, &broken);
    let d = client.diagnostics(&uri);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["severity"], 1);
    assert!(
        d[0]["code"].as_str().unwrap().starts_with("plan::"),
        "{d:?}"
    );
    assert_eq!(
        d[0]["range"]["start"]["line"],
        position_of(&text, "  - name: cache")["line"]
    );

    let unknown = text.replace("    count: 6\n", "    count: 6\n    colour: blue\n");
    client.change(&uri, 3, &unknown);
    let d = client.diagnostics(&uri);
    assert!(
        d.iter()
            .any(|d| d["message"].as_str().unwrap().contains("colour")),
        "{d:?}"
    );

    // Every byte of a binary-looking buffer, and an empty one: still answered.
    client.change(&uri, 4, "\u{0}\u{1}: [\n\t\"");
    client.diagnostics(&uri);
    client.change(&uri, 5, "");
    client.diagnostics(&uri);
    client.change(&uri, 6, &text);
    assert_eq!(client.diagnostics(&uri).len(), 5);
    assert!(client.shutdown().success());
}

#[test]
fn the_suppress_action_writes_a_comment_that_silences_the_finding() {
    let (mut client, uri, text) = example_session("lsp-suppress");
    let diagnostics = client.diagnostics(&uri);
    let excluded = diagnostics
        .iter()
        .find(|d| d["code"] == "instance-type-excluded")
        .unwrap()
        .clone();
    let actions = client.code_actions(&uri, &excluded);
    let suppress = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Suppress"))
        .expect("a suppress action")
        .clone();
    let silenced = apply(&text, &suppress, &uri);
    assert!(
        silenced.contains(
            "  # preflight-ignore: instance-type-excluded -- TODO: say why this is safe\n  - name: gpu-worker\n"
        ),
        "{silenced}"
    );
    client.change(&uri, 2, &silenced);
    let after = client.diagnostics(&uri);
    assert_eq!(after.len(), 4);
    assert!(!codes(&after).contains(&"instance-type-excluded".to_string()));
    assert!(client.shutdown().success());
}

#[test]
fn hover_says_what_the_facts_say_and_completion_offers_the_regions_types() {
    let (mut client, uri, text) = example_session("lsp-hover");
    client.diagnostics(&uri);

    let mut at = position_of(&text, "img-m5s0****30");
    at["character"] = json!(at["character"].as_u64().unwrap() + 3);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": at}),
    );
    let shown = hover["contents"]["value"].as_str().expect("markdown");
    for said in [
        "image `img-m5s0****30`",
        "status: `ready`",
        "architecture: x86_64",
        "minimum system disk: 40 GB",
        "every type but",
        "of family `m.n4`, it allows: `m.n4.xlarge`",
    ] {
        assert!(shown.contains(said), "{said:?} in {shown}");
    }
    assert_eq!(
        hover["range"]["start"],
        position_of(&text, "img-m5s0****30")
    );

    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position_of(&text, "p.c1p40g.3large")}),
    );
    let shown = hover["contents"]["value"].as_str().expect("markdown");
    assert!(shown.contains("offered: yes"), "{shown}");
    assert!(shown.contains("allows it: no"), "{shown}");

    // Off any value: nothing.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(hover, Value::Null);

    let typing = text.replace("instance_type: m.n4.2xlarg\n", "instance_type: m.n\n");
    client.change(&uri, 2, &typing);
    client.diagnostics(&uri);
    let mut at = position_of(&typing, "m.n\n");
    at["character"] = json!(at["character"].as_u64().unwrap() + 3);
    let items = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": at}),
    );
    let items = items.as_array().expect("items");
    let label = |i: &Value| i["label"].as_str().unwrap().to_string();
    let mut sorted = items.clone();
    sorted.sort_by_key(|i| i["sortText"].as_str().unwrap().to_string());
    let first = label(&sorted[0]);
    assert!(
        sorted[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("allowed by img-m5s0****30"),
        "{first}: {}",
        sorted[0]["detail"]
    );
    let excluded = items
        .iter()
        .find(|i| label(i) == "m.n4.2xlarge")
        .expect("offered");
    assert!(
        excluded["detail"]
            .as_str()
            .unwrap()
            .starts_with("excluded by")
    );
    assert!(items.iter().any(|i| label(i) == "m.n4.xlarge"));
    // The edit replaces what was typed of the value.
    let edit = &excluded["textEdit"];
    assert_eq!(edit["range"]["start"], position_of(&typing, "m.n\n"));

    // Nothing typed yet: the plan does not read (an empty type), and the last text that did
    // says which entry and region the cursor is in.
    let empty = text.replace("instance_type: m.n4.2xlarg\n", "instance_type: \n");
    client.change(&uri, 3, &empty);
    assert!(codes(&client.diagnostics(&uri))[0].starts_with("plan::"));
    let at = position_of(&empty, "instance_type: \n");
    let at = json!({"line": at["line"], "character": at["character"].as_u64().unwrap() + 15});
    let items = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": at}),
    );
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["label"] == "m.n4.xlarge"),
        "{items}"
    );
    assert!(client.shutdown().success());
}

#[test]
fn terraform_buffers_take_precedence_over_the_files_and_variables_get_no_fix() {
    let dir = scratch("lsp-terraform");
    let main_tf = "provider \"jdcloud\" {\n  region = \"cn-north-1\"\n}\n\nresource \"jdcloud_instance\" \"web\" {\n  az            = \"cn-north-1a\"\n  image_id      = \"img-m5s0****30\"\n  instance_type = \"g.n4.xlarge\"\n}\n\nresource \"jdcloud_instance\" \"cache\" {\n  az            = \"cn-north-1a\"\n  image_id      = \"img-m5s0****30\"\n  instance_type = var.size\n}\n";
    let variables_tf = "variable \"size\" {\n  type    = string\n  default = \"g.n4.xlarge\"\n}\n";
    std::fs::write(dir.join("main.tf"), main_tf).unwrap();
    std::fs::write(dir.join("variables.tf"), variables_tf).unwrap();
    let mut client = start_with_facts(&dir);
    client.initialize(json!({}), json!({}));

    // The buffer, not the file: a typo typed but not saved.
    let typed = main_tf.replacen("\"g.n4.xlarge\"", "\"m.n4.2xlarg\"", 1);
    let main_uri = client.open(&dir.join("main.tf"), &typed);
    let d = client.diagnostics(&main_uri);
    assert_eq!(codes(&d), ["instance-type-unknown"], "{d:?}");
    assert_eq!(
        d[0]["range"]["start"],
        position_of(&typed, "\"m.n4.2xlarg\"")
    );
    let actions = client.code_actions(&main_uri, &d[0]);
    let fix = actions
        .iter()
        .find(|a| a["isPreferred"] == true)
        .expect("a quick fix for a literal")
        .clone();
    let fixed = apply(&typed, &fix, &main_uri);
    assert_eq!(
        fixed,
        main_tf.replacen("\"g.n4.xlarge\"", "\"m.n4.xlarge\"", 1)
    );
    client.change(&main_uri, 2, &fixed);
    assert!(client.diagnostics(&main_uri).is_empty());

    // The variable's buffer decides the value in main.tf: that is checked again, and the
    // finding there has no fix (the edit would belong in variables.tf).
    let var_uri = client.open(
        &dir.join("variables.tf"),
        &variables_tf.replace("g.n4.xlarge", "m.n4.2xlarg"),
    );
    let d = client.diagnostics(&main_uri);
    assert_eq!(codes(&d), ["instance-type-unknown"], "{d:?}");
    assert_eq!(d[0]["range"]["start"], position_of(&fixed, "var.size"));
    let related = d[0]["relatedInformation"]
        .as_array()
        .expect("where it was set");
    assert_eq!(related[0]["location"]["uri"], var_uri);
    let actions = client.code_actions(&main_uri, &d[0]);
    assert!(
        actions
            .iter()
            .all(|a| a["title"].as_str().unwrap().starts_with("Suppress")),
        "{actions:?}"
    );
    assert!(client.shutdown().success());
    // Nothing was written.
    assert_eq!(
        std::fs::read_to_string(dir.join("main.tf")).unwrap(),
        main_tf
    );
}

#[test]
fn terraform_plan_json_is_checked_and_other_json_and_yaml_are_left_alone() {
    let dir = scratch("lsp-plan-json");
    let case = Path::new(ROOT).join("testdata/cases/tf-aliyun");
    let plan_json = std::fs::read_to_string(case.join("tfplan.json")).unwrap();
    let json_path = dir.join("tfplan.json");
    std::fs::write(&json_path, &plan_json).unwrap();
    let facts = case.join("facts.json").display().to_string();
    let mut client = Client::start(&["--facts", &facts], Vec::new(), &dir);
    client.initialize(json!({}), json!({}));
    let uri = client.open(&json_path, &plan_json);
    let d = client.diagnostics(&uri);
    // Without .tf files beside it the findings point into the JSON, as `validate` says.
    let args = [
        "validate",
        "tfplan.json",
        "--format",
        "json",
        "--facts",
        &facts,
    ];
    let out = Project::at(&dir)
        .command(Vec::new(), &args)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    let mut expected: Vec<(String, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["rule"].as_str().unwrap().to_string(),
                j["line"].as_u64().unwrap() - 1,
            )
        })
        .collect();
    expected.sort();
    let mut shown: Vec<(String, u64)> = d
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    shown.sort();
    assert!(!shown.is_empty());
    assert_eq!(shown, expected);
    assert!(
        !d.is_empty(),
        "plan JSON without .tf files gets findings in the JSON"
    );

    let workflow = dir.join("ci.yml");
    let other = client.open(&workflow, "on: push\njobs: {}\n");
    let package = client.open(&dir.join("package.json"), "{\"name\": \"x\"}\n");
    // Both answered with nothing: published empty, or not at all; a hover request flushes.
    client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": other}, "position": {"line": 0, "character": 0}}),
    );
    for m in &client.log {
        if m["method"] == "textDocument/publishDiagnostics"
            && (m["params"]["uri"] == other || m["params"]["uri"] == package)
        {
            assert_eq!(m["params"]["diagnostics"], json!([]), "{m}");
        }
    }
    assert!(client.shutdown().success());
}

const JD_PLAN: &str = "instances:\n  - name: web\n    cloud: jdcloud\n    region: cn-north-1\n    image: img-m5s0****29\n    instance_type: p.c1p40g.3large\n";

async fn jd_world() -> FakeCloud {
    let fake = FakeCloud::start().await;
    let excludes: &[&str] = &["p.c1p40g.3large"];
    fake.jd_image(
        "cn-north-1",
        "img-m5s0****29",
        "ready",
        "x86_64",
        40,
        Some(("excludes", excludes)),
    );
    fake.jd_type("cn-north-1", "p.c1p40g.3large", "x86_64");
    fake.jd_type("cn-north-1", "p.c1p40g.6large", "x86_64");
    fake
}

#[tokio::test(flavor = "multi_thread")]
async fn unverified_findings_fetch_in_the_background_with_progress_then_republish() {
    let fake = jd_world().await;
    let dir = scratch("lsp-fetch");
    let plan = dir.join("plan.yaml");
    std::fs::write(&plan, JD_PLAN).unwrap();
    let env = fake.env();
    tokio::task::spawn_blocking(move || {
        let mut client = Client::start(&[], env.clone(), &dir);
        client.initialize(json!({"window": {"workDoneProgress": true}}), json!({}));
        let uri = client.open(&plan, JD_PLAN);
        // The cache is empty and a keystroke never asks the clouds.
        let d = client.diagnostics(&uri);
        assert_eq!(codes(&d), ["unverified"], "{d:?}");
        let actions = client.code_actions(&uri, &d[0]);
        let ask = actions.iter()
            .find(|a| a["command"]["command"] == "preflight.fetch")
            .expect("an action that asks the clouds")
            .clone();
        client.request("workspace/executeCommand", ask["command"].clone());
        let create = client.wait_for(|m| m["method"] == "window/workDoneProgress/create");
        let token = create["params"]["token"].clone();
        let begin = client.wait_for(|m| m["method"] == "$/progress");
        assert_eq!(begin["params"]["token"], token);
        assert_eq!(begin["params"]["value"]["kind"], "begin");
        assert_eq!(begin["params"]["value"]["cancellable"], true);
        let end = client
            .wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
        assert!(
            end["params"]["value"]["message"]
                .as_str()
                .unwrap()
                .ends_with("requests"),
            "{end}"
        );
        let d = client.diagnostics(&uri);
        assert_eq!(codes(&d), ["instance-type-excluded"], "{d:?}");

        // With the image's facts cached, what is left unverified only Terraform can tell:
        // no fetch is offered for it.
        let tf = dir.join("tf/main.tf");
        std::fs::create_dir_all(tf.parent().unwrap()).unwrap();
        let main_tf = "provider \"jdcloud\" {\n  region = \"cn-north-1\"\n}\n\nvariable \"size\" {\n  type = string\n}\n\nresource \"jdcloud_instance\" \"web\" {\n  image_id      = \"img-m5s0****29\"\n  instance_type = var.size\n}\n";
        std::fs::write(&tf, main_tf).unwrap();
        let tf_uri = client.open(&tf, main_tf);
        let d = client.diagnostics(&tf_uri);
        assert_eq!(codes(&d), ["unverified"], "{d:?}");
        assert!(d[0]["message"].as_str().unwrap().contains("the rest was checked"), "{d:?}");
        let actions = client.code_actions(&tf_uri, &d[0]);
        assert!(
            actions.iter().all(|a| a.get("command").is_none()),
            "{actions:?}"
        );

        // A new server reads what the fetch cached, without asking (the credentials say
        // whose answers to read).
        assert!(client.shutdown().success());
        let mut again = Client::start(&["--offline"], env, &dir);
        again.initialize(json!({}), json!({}));
        let uri = again.open(&plan, JD_PLAN);
        assert_eq!(codes(&again.diagnostics(&uri)), ["instance-type-excluded"]);
        assert!(again.shutdown().success());
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fetch_can_be_cancelled_and_a_save_can_start_one() {
    let fake = jd_world().await;
    fake.fail_always("jdcloud.describeImages", Fault::Hang);
    let dir = scratch("lsp-cancel");
    let plan = dir.join("plan.yaml");
    std::fs::write(&plan, JD_PLAN).unwrap();
    let env = fake.env();
    tokio::task::spawn_blocking(move || {
        let mut client = Client::start(&[], env, &dir);
        client.initialize(
            json!({"window": {"workDoneProgress": true}}),
            json!({"fetchOnSave": true}),
        );
        let uri = client.open(&plan, JD_PLAN);
        assert_eq!(codes(&client.diagnostics(&uri)), ["unverified"]);
        client.notify(
            "textDocument/didSave",
            json!({"textDocument": {"uri": uri}}),
        );
        let begin = client
            .wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin");
        let token = begin["params"]["token"].clone();
        client.notify("window/workDoneProgress/cancel", json!({"token": token}));
        let end = client
            .wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
        assert_eq!(end["params"]["value"]["message"], "cancelled");
        // Still unverified, still answering.
        let hover = client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": position_of(JD_PLAN, "p.c1p40g")}),
        );
        assert!(
            hover["contents"]["value"]
                .as_str()
                .unwrap()
                .contains("not known")
        );
        assert!(client.shutdown().success());
    })
    .await
    .unwrap();
}

#[test]
fn offline_and_facts_servers_offer_no_fetch() {
    let dir = scratch("lsp-offline");
    let plan = dir.join("plan.yaml");
    std::fs::write(&plan, JD_PLAN).unwrap();
    let mut client = Client::start(&["--offline"], Vec::new(), &dir);
    client.initialize(json!({}), json!({}));
    let uri = client.open(&plan, JD_PLAN);
    let d = client.diagnostics(&uri);
    assert_eq!(codes(&d), ["unverified"]);
    let actions = client.code_actions(&uri, &d[0]);
    assert!(
        actions.iter().all(|a| a.get("command").is_none()),
        "{actions:?}"
    );
    assert!(client.shutdown().success());
}

#[test]
fn a_burst_of_changes_ends_with_the_diagnostics_of_the_last_text() {
    let (mut client, uri, text) = example_session("lsp-burst");
    assert_eq!(client.diagnostics(&uri).len(), 5);
    let fixed = text.replace("m.n4.2xlarg\n", "m.n4.xlarge\n");
    for version in 2..40 {
        let body = if version % 2 == 0 { &text } else { &fixed };
        client.change(&uri, version, body);
    }
    // Version 39 is the fixed text; a request answers about it, so everything is published
    // by the time its answer comes.
    client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
    );
    let last = client
        .log
        .iter()
        .rev()
        .find(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri)
        .expect("published")
        .clone();
    let published = client
        .log
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .count();
    assert_eq!(last["params"]["diagnostics"].as_array().unwrap().len(), 4);
    assert!(published <= 39, "at most one check per change: {published}");
    assert!(client.shutdown().success());
}

#[test]
fn the_server_takes_validates_rules_and_config() {
    let case = Path::new(ROOT).join("testdata/cases/policy-rules");
    let plan = case.join("envs/dev/web.plan.yaml");
    let text = std::fs::read_to_string(&plan).unwrap();
    let facts = case.join("facts.json").display().to_string();
    let rules = case.join("policies").display().to_string();
    let dir = scratch("lsp-rules");
    let cache = vec![(
        "PREFLIGHT_CACHE_DIR".to_string(),
        dir.join("cache").display().to_string(),
    )];

    // Started where CI runs `validate envs --rules policies`: the rule's `plan: envs/dev/**`
    // matches the document as it matches there.
    let mut client = Client::start(&["--facts", &facts, "--rules", &rules], cache, &case);
    client.initialize(json!({}), json!({}));
    let uri = client.open(&plan, &text);
    assert_eq!(codes(&client.diagnostics(&uri)), ["no-gpu-in-dev"]);
    assert!(client.shutdown().success());

    // The nearest .preflight.yaml above the document, as validate reads it: here it turns
    // the rule into a warning.
    let copy = dir.join("envs/dev/web.plan.yaml");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::write(&copy, &text).unwrap();
    std::fs::write(
        dir.join("envs/.preflight.yaml"),
        format!("rules: [{rules:?}]\nseverity: {{no-gpu-in-dev: warning}}\n"),
    )
    .unwrap();
    let mut client = Client::start(&["--facts", &facts], Vec::new(), &dir);
    client.initialize(json!({}), json!({}));
    let uri = client.open(&copy, &text);
    let d = client.diagnostics(&uri);
    assert_eq!(codes(&d), ["no-gpu-in-dev"]);
    assert_eq!(d[0]["severity"], 2);
    assert!(client.shutdown().success());

    // --config names another file; a bad one is a diagnostic, not the server's end.
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "disable: [no-such-rule]\ncolour: blue\n").unwrap();
    let bad = bad.display().to_string();
    let mut client = Client::start(&["--facts", &facts, "--config", &bad], Vec::new(), &dir);
    client.initialize(json!({}), json!({}));
    let uri = client.open(&copy, &text);
    let d = client.diagnostics(&uri);
    assert!(!d.is_empty());
    assert!(
        d.iter()
            .all(|d| d["code"].as_str().unwrap().starts_with("config::")),
        "{d:?}"
    );
    assert!(client.shutdown().success());
}

#[test]
fn exit_codes_follow_the_protocol_and_garbage_is_named() {
    let dir = scratch("lsp-exit");
    // `exit` without `shutdown`: 1, as the protocol asks.
    let mut client = start_with_facts(&dir);
    client.initialize(json!({}), json!({}));
    client.notify("exit", Value::Null);
    let stderr = client.stderr_handle();
    assert_eq!(client.wait().code(), Some(1));
    // Said on stderr, where an editor's log shows it (read to its end by now, or shortly).
    let said = (0..100)
        .map(|_| {
            let text = stderr.lock().map(|s| s.clone()).unwrap_or_default();
            if text.is_empty() {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            text
        })
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    assert!(said.contains("`exit` without `shutdown`"), "{said}");

    for (input, said) in [
        ("", "before an `initialize` request"),
        ("garbage\n", "malformed header"),
    ] {
        let mut child = Project::at(&dir)
            .command(Vec::new(), &["lsp"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty(), "nothing but protocol on stdout");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(said), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn what_validate_warns_on_stderr_is_shown_once() {
    let dir = scratch("lsp-warn");
    let plan = dir.join("plan.yaml");
    std::fs::write(&plan, JD_PLAN).unwrap();
    // A "cache" directory that holds someone else's files: refused, with a warning.
    let foreign = dir.join("not-a-cache");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("tfplan.json"), "{}").unwrap();
    let env = vec![
        (
            "PREFLIGHT_CACHE_DIR".to_string(),
            foreign.display().to_string(),
        ),
        ("JDCLOUD_ACCESS_KEY".to_string(), "AK".to_string()),
        ("JDCLOUD_SECRET_KEY".to_string(), "never-sent".to_string()),
    ];
    let mut client = Client::start(&["--offline"], env, &dir);
    client.initialize(json!({}), json!({}));
    let uri = client.open(&plan, JD_PLAN);
    client.diagnostics(&uri);
    client.change(&uri, 2, &format!("{JD_PLAN}\n"));
    client.diagnostics(&uri);
    client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
    );
    let shown: Vec<&Value> = client
        .log
        .iter()
        .filter(|m| m["method"] == "window/showMessage")
        .collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    let message = shown[0]["params"]["message"].as_str().unwrap();
    assert!(message.contains("not using the cache"), "{message}");
    assert!(!message.contains("never-sent"));
    assert_eq!(
        std::fs::read_to_string(foreign.join("tfplan.json")).unwrap(),
        "{}"
    );
    assert!(client.shutdown().success());
}

#[test]
fn a_new_facts_file_is_checked_against_without_an_edit() {
    let dir = scratch("lsp-new-facts");
    let facts = std::fs::read_to_string(format!("{ROOT}/examples/facts.json")).unwrap();
    let copy = dir.join("facts.json");
    std::fs::write(&copy, &facts).unwrap();
    let copy_arg = copy.display().to_string();
    let mut client = Client::start(&["--facts", &copy_arg], Vec::new(), &dir);
    client.initialize(json!({}), json!({}));
    let (path, text) = example();
    let uri = client.open(&path, &text);
    assert!(codes(&client.diagnostics(&uri)).contains(&"instance-type-excluded".to_string()));
    // As `preflight fetch -o` would: the image no longer excludes the type.
    let newer = facts.replacen("\"p.c1p40g.3large\",", "", 1);
    assert_ne!(newer, facts);
    preflight::files::write_atomic(&copy, newer.as_bytes()).unwrap();
    let d = client.diagnostics(&uri);
    assert_eq!(d.len(), 4, "{d:?}");
    assert!(!codes(&d).contains(&"instance-type-excluded".to_string()));
    assert!(client.shutdown().success());
}

#[test]
fn a_module_is_checked_with_the_values_its_callers_give_it() {
    let dir = scratch("lsp-module");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join("infra/modules/cache")).unwrap();
    let root_tf = "provider \"jdcloud\" {\n  region = \"cn-north-1\"\n}\n\nmodule \"cache\" {\n  source = \"./modules/cache\"\n  size   = \"m.n4.2xlarg\"\n}\n";
    let module_tf = "variable \"size\" {\n  type = string\n}\n\nresource \"jdcloud_instance\" \"node\" {\n  az            = \"cn-north-1a\"\n  image_id      = \"img-m5s0****30\"\n  instance_type = var.size\n}\n";
    std::fs::write(dir.join("infra/main.tf"), root_tf).unwrap();
    std::fs::write(dir.join("infra/modules/cache/main.tf"), module_tf).unwrap();
    let mut client = start_with_facts(&dir);
    client.initialize(json!({}), json!({}));

    // Opened alone, the module would have no value for `size`; its caller gives one.
    let module_uri = client.open(&dir.join("infra/modules/cache/main.tf"), module_tf);
    let d = client.diagnostics(&module_uri);
    assert_eq!(codes(&d), ["instance-type-unknown"], "{d:?}");
    assert_eq!(d[0]["range"]["start"], position_of(module_tf, "var.size"));
    let root_uri = uri(&dir.join("infra/main.tf"));
    assert!(
        d[0]["relatedInformation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["location"]["uri"] == root_uri),
        "{d:?}"
    );

    // The caller's buffer, unsaved, fixes it.
    client.open(
        &dir.join("infra/main.tf"),
        &root_tf.replace("m.n4.2xlarg", "m.n4.xlarge"),
    );
    let d = client.diagnostics(&module_uri);
    assert!(d.is_empty(), "{d:?}");
    assert!(client.shutdown().success());
}

/// Every read of a run goes through the open buffers, the config file's too: a
/// `.preflight.yaml` being written in the editor, not saved yet, already decides the checks.
#[test]
fn an_unsaved_config_file_in_the_editor_is_the_one_the_checks_use() {
    let dir = scratch("lsp-config-buffer");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    let plan = "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n  - {name: a, image: img-m5s0****29, instance_type: g.n4.xlarg}\n";
    let path = dir.join("p.plan.yaml");
    std::fs::write(&path, plan).unwrap();
    let mut client = start_with_facts(&dir);
    client.initialize(json!({}), json!({}));
    let uri = client.open(&path, plan);
    assert!(
        codes(&client.diagnostics(&uri)).contains(&"instance-type-unknown".to_string()),
        "the typo is found"
    );
    // Opened, never saved: there is no such file on disk.
    let config = dir.join(".preflight.yaml");
    client.open(&config, "disable: [instance-type-unknown]\n");
    client.change(&uri, 2, plan);
    let after = codes(&client.diagnostics(&uri));
    assert!(
        !after.contains(&"instance-type-unknown".to_string()),
        "the buffer's `disable` applies: {after:?}"
    );
    assert!(!config.exists());
    assert!(client.shutdown().success());
}
