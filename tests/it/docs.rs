//! Generated documents in the repository must match what the binary produces, so a change to
//! the plan format or a rule's documentation cannot leave them stale. Re-generate with
//! `cargo run -- schema > docs/plan.schema.json` and `SNAPSHOTS=overwrite cargo test --test it docs`.

use snapbox::Data;

fn docs() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")
}

/// `docs/rules/<id>.md` is each built-in rule's documentation, as `preflight explain` prints
/// it; `docs/rules/README.md` indexes them.
#[test]
fn rule_pages_are_current() {
    let mut index = String::from(
        "# Rules\n\nGenerated from the rules' source by `SNAPSHOTS=overwrite cargo test --test it docs`;\n`preflight explain RULE` prints the same text.\n\n| rule | severity | what it catches |\n|---|---|---|\n",
    );
    for rule in preflight::checks::BUILTIN {
        snapbox::assert_data_eq!(
            rule.doc(),
            Data::read_from(&docs().join(format!("rules/{}.md", rule.id)), None).raw()
        );
        index.push_str(&format!(
            "| [`{id}`]({id}.md) | {} | {} |\n",
            rule.severity,
            rule.summary,
            id = rule.id
        ));
    }
    snapbox::assert_data_eq!(
        index,
        Data::read_from(&docs().join("rules/README.md"), None).raw()
    );
}

/// One page per command, as `clap_mangen::generate_to` writes them, with each page's own
/// sections from `preflight::cli::MAN_SECTIONS` (exit status, environment, examples) before
/// the version.
fn render_pages(top: clap::Command, out: &std::path::Path) {
    use clap_mangen::roff::{Roff, roman};
    fn page(cmd: &clap::Command, name: &str, sub: &str, out: &std::path::Path) {
        let name: &'static str = Box::leak(name.to_string().into_boxed_str());
        let man = clap_mangen::Man::new(cmd.clone().name(name));
        let mut text = Vec::new();
        man.render_title(&mut text).expect("title");
        man.render_name_section(&mut text).expect("name");
        man.render_synopsis_section(&mut text).expect("synopsis");
        man.render_description_section(&mut text)
            .expect("description");
        if cmd.get_arguments().any(|a| !a.is_hide_set()) {
            man.render_options_section(&mut text).expect("options");
        }
        if cmd.get_subcommands().any(|c| !c.is_hide_set()) {
            man.render_subcommands_section(&mut text)
                .expect("subcommands");
        }
        let sections = preflight::cli::MAN_SECTIONS
            .iter()
            .find(|(c, _)| *c == sub)
            .map_or(&[][..], |(_, s)| *s);
        // The help's one-line exit codes, where the page has no section of its own for them.
        let has_exit = sections.iter().any(|(h, _)| *h == "EXIT STATUS");
        if !has_exit && (cmd.get_after_long_help().is_some() || cmd.get_after_help().is_some()) {
            man.render_extra_section(&mut text).expect("extra");
        }
        for (heading, body) in sections {
            let mut roff = Roff::default();
            roff.control("SH", [*heading]);
            for line in body.lines() {
                roff.control("TP", []);
                let (first, rest) = line.split_once("  ").unwrap_or((line, ""));
                roff.text([roman(first.trim())]);
                if !rest.trim().is_empty() {
                    roff.text([roman(rest.trim())]);
                }
            }
            roff.to_writer(&mut text).expect("section");
        }
        if cmd.get_version().is_some() {
            man.render_version_section(&mut text).expect("version");
        }
        std::fs::write(out.join(format!("{name}.1")), text).expect("page");
    }
    let top = top.disable_help_subcommand(true);
    page(&top, "preflight", "", out);
    for sub in top.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = format!("preflight-{}", sub.get_name());
        page(sub, &name, sub.get_name(), out);
    }
}

/// The man pages, one per command, from the clap definitions: every page the top one names
/// exists, and none is stale. `SNAPSHOTS=overwrite` rewrites them.
#[test]
fn man_pages_are_current() {
    use clap::CommandFactory;
    let out = std::env::temp_dir().join(format!("preflight-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("dir");
    render_pages(preflight::cli::Cli::command(), &out);
    let pages = |dir: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".1"))
            .collect();
        names.sort();
        names
    };
    let generated = pages(&out);
    let man = docs().join("man");
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        for stale in pages(&man).iter().filter(|p| !generated.contains(p)) {
            std::fs::remove_file(man.join(stale)).expect("remove a stale page");
        }
        for page in &generated {
            std::fs::copy(out.join(page), man.join(page)).expect("write a page");
        }
    }
    assert_eq!(
        pages(&man),
        generated,
        "run SNAPSHOTS=overwrite cargo test --test it docs"
    );
    let top = std::fs::read_to_string(man.join("preflight.1")).expect("top page");
    for page in &generated {
        let text = std::fs::read_to_string(out.join(page)).expect("page");
        snapbox::assert_data_eq!(text, Data::read_from(&man.join(page), None).raw());
        let name = page.trim_end_matches(".1").replace('-', "\\-");
        if page != "preflight.1" {
            assert!(
                top.contains(&format!("{name}(1)")),
                "preflight.1 does not name {page}"
            );
        }
    }
    // Every page the top one names is there.
    for line in top.lines().filter(|l| l.starts_with("preflight\\-")) {
        let page = format!("{}.1", line.trim_end_matches("(1)").replace("\\-", "-"));
        assert!(
            generated.contains(&page),
            "preflight.1 names {page}, which is not there"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn plan_schema_file_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/plan.schema.json");
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("docs/plan.schema.json exists"))
            .expect("valid JSON");
    assert_eq!(
        on_disk,
        preflight::plan::json_schema(),
        "docs/plan.schema.json is stale: run `cargo run -- schema > docs/plan.schema.json`"
    );
}

#[test]
fn bundled_example_facts_and_plan_are_valid() {
    let root = env!("CARGO_MANIFEST_DIR");
    let options = preflight::ValidateOptions {
        paths: vec![format!("{root}/examples/plan.yaml").into()],
        facts: Some(format!("{root}/examples/facts.json").into()),
        ..Default::default()
    };
    let report = preflight::validate(&options);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // The example shows a finding of each kind it was written for.
    let mut rules: Vec<&str> = report.diagnostics.iter().map(|d| d.rule.as_str()).collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            "image-quota-exceeded",
            "image-unavailable",
            "instance-type-excluded",
            "instance-type-not-included",
            "instance-type-unknown"
        ]
    );
    assert_eq!(report.suppressed, 1);
}

/// Every `preflight …` command the README shows parses with the real command line, so the
/// snippets cannot name a flag that does not exist.
#[test]
fn readme_commands_parse() {
    use clap::Parser;
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let mut checked = 0;
    let mut in_block = false;
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        let Some(at) = line.find("preflight ").filter(|_| in_block) else {
            continue;
        };
        let command = line[at..].split('#').next().unwrap_or("").trim();
        let words: Vec<&str> = command.split_whitespace().collect();
        // Skip usage lines with placeholders and ellipses; check real invocations.
        if words.len() < 2
            || command.contains(['[', '<', '|', '…'])
            || command.contains("  ")
            || words
                .iter()
                .any(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase()))
            || command.contains("...")
            || ![
                "validate",
                "fetch",
                "explain",
                "rules",
                "schema",
                "permissions",
                "completions",
            ]
            .contains(&words[1])
        {
            continue;
        }
        preflight::cli::Cli::try_parse_from(&words)
            .unwrap_or_else(|e| panic!("README command does not parse: {command}\n{e}"));
        checked += 1;
    }
    assert!(checked >= 5, "found only {checked} README commands");
}

/// The pre-commit hooks run: each entry, with the files pre-commit would pass it (those its
/// `files` pattern matches).
#[test]
fn pre_commit_hook_entries_run() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let hooks: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).expect("hooks file"),
    )
    .expect("hooks parse");
    let hooks = hooks.as_array().expect("a list of hooks");
    // Each hook twice: on the released wheel (python), and from source (`-src`, rust).
    assert_eq!(hooks.len(), 8);
    let tf_case = "testdata/cases/tf-roots";
    for hook in hooks {
        let id = hook["id"].as_str().expect("an id");
        let language = if id.ends_with("-src") {
            "rust"
        } else {
            "python"
        };
        assert_eq!(hook["language"], language, "{id}");
        let entry = hook["entry"].as_str().expect("entry");
        let terraform = entry.contains("--tf-roots");
        let files: Vec<String> = if terraform {
            vec![
                format!("{tf_case}/modules/app/main.tf"),
                format!("{tf_case}/envs/dev/terraform.tfvars"),
            ]
        } else {
            vec!["examples/plan.yaml".to_string()]
        };
        // pre-commit matches `files` with Python's `re.search`.
        let pattern = hook["files"].as_str().expect("files pattern");
        let re = regex::Regex::new(pattern).expect("a valid pattern");
        for file in &files {
            assert!(
                re.is_match(file),
                "{entry}: `{pattern}` does not match {file}"
            );
        }
        let mut words = entry.split_whitespace();
        assert_eq!(words.next(), Some("preflight"));
        let args: Vec<&str> = words.chain(files.iter().map(String::as_str)).collect();
        let out = crate::support::run::Project::at(root)
            .command(Vec::new(), &args)
            .output()
            .expect("runs");
        let code = out.status.code();
        // Without credentials: the online hooks report unverified pairings (3); the offline
        // ones allow them (0). None fails to run.
        let expected = if entry.contains("--offline") {
            Some(0)
        } else {
            Some(3)
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            code,
            expected,
            "{entry}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if terraform {
            // The module was checked through both roots that call it, with their variables.
            assert!(stdout.contains("in 2 plans"), "{entry}: {stdout}");
        }
    }
}

/// ARCHITECTURE.md's layer table is the rule: every module of `src/` is in it, uses no module
/// of a higher layer, and no two modules use each other. Paths are read from the source text
/// (`crate::x`, `use crate::{x, y::z}`, and `preflight::x` in the binary), tests left out.
#[test]
fn the_code_keeps_to_the_layers_of_architecture_md() {
    use std::collections::{BTreeMap, BTreeSet};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let codemap = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut layer: BTreeMap<String, u32> = BTreeMap::new();
    for line in codemap.lines() {
        let Some((module, rest)) = line.strip_prefix("| `").and_then(|l| l.split_once("` | "))
        else {
            continue;
        };
        if let Some(n) = rest.split(" |").next().and_then(|n| n.trim().parse().ok()) {
            layer.insert(module.to_string(), n);
        }
    }
    assert!(layer.len() > 20, "the layer table: {layer:?}");

    let mut files = Vec::new();
    let mut pending = vec![root.join("src")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for path in files {
        let relative = path.strip_prefix(root.join("src")).expect("under src");
        let first = relative
            .components()
            .next()
            .expect("a component")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if first == "lib" || first == "main" {
            continue;
        }
        let Some(&own) = layer.get(&first) else {
            wrong.push(format!(
                "`{first}` ({}) is not in ARCHITECTURE.md",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("source");
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        let prefix = if first == "commands" {
            "preflight::"
        } else {
            "crate::"
        };
        for used in used_modules(text, prefix) {
            let Some(&theirs) = layer.get(&used) else {
                // Not a module: an item of the crate root, which declares every module. Only
                // the binary may use those (the crate's public re-exports).
                if first != "commands" && !used.is_empty() {
                    wrong.push(format!(
                        "{} uses `crate::{used}` from the crate root, its importer",
                        relative.display()
                    ));
                }
                continue;
            };
            if used == first {
                continue;
            }
            if theirs > own {
                wrong.push(format!(
                    "{} (layer {own}) uses `{used}` (layer {theirs})",
                    relative.display()
                ));
            }
            uses.entry(first.clone()).or_default().insert(used);
        }
    }
    for (a, used) in &uses {
        for b in used {
            if a < b && uses.get(b).is_some_and(|u| u.contains(a)) {
                wrong.push(format!("`{a}` and `{b}` use each other"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The top-level modules a source text names after `prefix` (`crate::` or `preflight::`),
/// including those in a `use crate::{a, b::c}` group.
fn used_modules(text: &str, prefix: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (at, _) in text.match_indices(prefix) {
        let rest = &text[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Items at the group's top level: what follows `{` and each top-level `,`.
            let mut depth = 0;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        out.push(ident(&group[i..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest));
        }
    }
    out
}

/// The facts-file page's example is a facts file this preflight reads, of the version it
/// writes, so the page cannot drift from the format.
#[test]
fn the_facts_file_example_reads() {
    let page = std::fs::read_to_string(docs().join("facts-file.md")).expect("facts-file.md");
    let example = page
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a json example");
    let source = preflight::source::SourceFile::new("facts-file.md", example);
    match preflight::facts::Facts::from_json(&source) {
        Ok(facts) => assert_eq!(facts.version, preflight::facts::FACTS_VERSION),
        Err(e) => panic!("{}", e.message()),
    }
}
