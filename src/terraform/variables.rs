//! The values of a root module's input variables, as `terraform plan` would take them. Later
//! sources win, in Terraform's documented order: environment variables (`TF_VAR_name`), then
//! `terraform.tfvars`, `terraform.tfvars.json`, every `*.auto.tfvars` and `*.auto.tfvars.json`
//! in lexical order of their names, then `--var-file FILE` and `--var NAME=VALUE` in the order
//! given. A variable none of them sets takes its `default`.
//!
//! Every value keeps where it was set, for the "set here" label: a line of a tfvars file (JSON
//! ones too), or a one-line source naming the environment variable or the flag.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;
use miette::SourceSpan;
use serde_json::value::RawValue;

use super::files::{TfFile, files_in, read_hcl};
use crate::error::{self, InputError};
use crate::files::Reader;
use crate::source::SourceFile;

/// A `--var-file` or `--var` flag, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarFlag {
    File(PathBuf),
    Set { name: String, value: String },
}

impl VarFlag {
    /// `--var NAME=VALUE` as Terraform takes it; `None` without `=`.
    pub fn parse_set(text: &str) -> Option<VarFlag> {
        let (name, value) = text.split_once('=')?;
        let name = name.trim();
        (!name.is_empty()).then(|| VarFlag::Set {
            name: name.to_string(),
            value: value.to_string(),
        })
    }
}

/// Where one source set a variable: an HCL expression (tfvars), or a value read from JSON,
/// the environment or a flag.
pub enum SetBy<'v> {
    Hcl {
        file: &'v SourceFile,
        expr: &'v Expression,
    },
    Value {
        value: &'v serde_json::Value,
        file: &'v SourceFile,
        span: SourceSpan,
    },
    /// A string (an environment variable or `--var`): Terraform takes it as written.
    Text {
        value: &'v str,
        file: &'v SourceFile,
        span: SourceSpan,
    },
}

enum Layer {
    Hcl(TfFile),
    Json {
        source: SourceFile,
        values: BTreeMap<String, (serde_json::Value, SourceSpan)>,
    },
    Text {
        name: String,
        value: String,
        source: SourceFile,
    },
}

/// The root module's variable sources, lowest precedence first.
#[derive(Default)]
pub struct RootVars {
    layers: Vec<Layer>,
}

impl RootVars {
    /// Reads every source for the root module in `dir`. `names` are the variables the
    /// configuration declares (environment variables are looked up by name).
    pub fn load(
        dir: &Path,
        names: &[String],
        options: &super::Options,
    ) -> Result<RootVars, Vec<InputError>> {
        let (env, flags, reader) = (options.env, options.vars, options.reader);
        let mut vars = RootVars::default();
        let mut errors = Vec::new();
        for name in names {
            let var = format!("TF_VAR_{name}");
            if let Some(value) = env(&var) {
                vars.layers.push(text_layer(&var, name, &value));
            }
        }
        let named = |file: &str| {
            let path = dir.join(file);
            reader.is_input(&path).then_some(path)
        };
        let mut files: Vec<PathBuf> = Vec::new();
        files.extend(named("terraform.tfvars"));
        files.extend(named("terraform.tfvars.json"));
        files.extend(files_in(dir, reader, |n| {
            n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
        }));
        for file in files {
            vars.read_file(&file, reader, &mut errors);
        }
        for flag in flags {
            match flag {
                VarFlag::File(path) => vars.read_file(path, reader, &mut errors),
                VarFlag::Set { name, value } => {
                    vars.layers
                        .push(text_layer(&format!("--var {name}"), name, value));
                }
            }
        }
        if errors.is_empty() {
            Ok(vars)
        } else {
            Err(errors)
        }
    }

    /// Every tfvars file read (for suppression comments and "set here" snippets).
    pub fn hcl_files(&self) -> impl Iterator<Item = &SourceFile> {
        self.layers.iter().filter_map(|l| match l {
            Layer::Hcl(f) => Some(&f.source),
            Layer::Json { source, .. } => Some(source),
            Layer::Text { .. } => None,
        })
    }

    /// The winning source for `name`, if any sets it.
    pub fn get(&self, name: &str) -> Option<SetBy<'_>> {
        self.layers.iter().rev().find_map(|layer| match layer {
            Layer::Hcl(f) => f.body.get_attribute(name).map(|a| SetBy::Hcl {
                file: &f.source,
                expr: &a.value,
            }),
            Layer::Json { source, values } => values.get(name).map(|(value, span)| SetBy::Value {
                value,
                file: source,
                span: *span,
            }),
            Layer::Text {
                name: set,
                value,
                source,
            } => (set == name).then(|| SetBy::Text {
                value,
                file: source,
                span: SourceSpan::new(0.into(), source.text().len()),
            }),
        })
    }

    fn read_file(&mut self, path: &Path, reader: Reader, errors: &mut Vec<InputError>) {
        if path.extension().is_some_and(|e| e == "json") {
            if let Some(layer) = read_json(path, reader, errors) {
                self.layers.push(layer);
            }
        } else if let Some(file) = read_hcl(path, reader, errors) {
            self.layers.push(Layer::Hcl(file));
        }
    }
}

/// A one-line source for a value from the environment or a flag, so the label can show it.
fn text_layer(origin: &str, name: &str, value: &str) -> Layer {
    Layer::Text {
        name: name.to_string(),
        value: value.to_string(),
        source: SourceFile::not_a_file(origin.to_string(), value.to_string()),
    }
}

/// A `.tfvars.json` file: one object whose members are variables. Values keep the spans of
/// their text in the file.
fn read_json(path: &Path, reader: Reader, errors: &mut Vec<InputError>) -> Option<Layer> {
    let source = match reader.read_source(path, error::Kind::Plan) {
        Ok(s) => s,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let text = source.text();
    let members: BTreeMap<String, &RawValue> = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(e) => {
            let at = source.offset_of(e.line(), e.column());
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message);
            errors.push(
                InputError::at(
                    "terraform::bad-tfvars",
                    &source,
                    SourceSpan::new(at.into(), 0),
                    format!(
                        "`{}` is not a JSON object of variables: {message}",
                        source.name()
                    ),
                    "here",
                )
                .with_help("a .tfvars.json file is one object: {\"name\": value, …}"),
            );
            return None;
        }
    };
    let values = members
        .into_iter()
        .filter_map(|(name, raw)| {
            let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
            let value = serde_json::from_str(raw.get()).ok()?;
            Some((
                name,
                (value, SourceSpan::new(offset.into(), raw.get().len())),
            ))
        })
        .collect();
    Some(Layer::Json { source, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(files: &[(&str, &str)]) -> PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "preflight-vars-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write");
        }
        dir
    }

    fn winner(vars: &RootVars, name: &str) -> (String, String) {
        match vars.get(name).expect("set") {
            SetBy::Hcl { file, expr } => (
                file.name().to_string(),
                expr.as_str().unwrap_or_default().to_string(),
            ),
            SetBy::Value { value, file, span } => {
                let at = &file.text()[span.offset()..span.offset() + span.len()];
                assert_eq!(at, value.to_string(), "the span is the value's text");
                (
                    file.name().to_string(),
                    value.as_str().unwrap_or_default().to_string(),
                )
            }
            SetBy::Text { value, file, .. } => (file.name().to_string(), value.to_string()),
        }
    }

    #[test]
    fn later_sources_win_in_terraforms_order() {
        let d = dir(&[
            (
                "terraform.tfvars",
                "a = \"tfvars\"\nb = \"tfvars\"\nc = \"tfvars\"\n",
            ),
            (
                "terraform.tfvars.json",
                "{\"b\": \"json\", \"c\": \"json\", \"d\": \"json\"}",
            ),
            ("b.auto.tfvars", "c = \"b-auto\"\n"),
            (
                "a.auto.tfvars.json",
                "{\"c\": \"a-auto\", \"e\": \"a-auto\"}",
            ),
            ("flags.tfvars", "e = \"var-file\"\n"),
        ]);
        let env = |k: &str| match k {
            "TF_VAR_a" => Some("env".to_string()),
            "TF_VAR_f" => Some("env".to_string()),
            _ => None,
        };
        let names: Vec<String> = ["a", "b", "c", "d", "e", "f"].map(String::from).to_vec();
        let flags = [
            VarFlag::File(d.join("flags.tfvars")),
            VarFlag::parse_set("f=flag").expect("set"),
        ];
        let options = super::super::Options {
            tf_dir: None,
            env: &env,
            vars: &flags,
            reader: Reader::DISK,
        };
        let vars = RootVars::load(&d, &names, &options).expect("loads");
        let got = |n: &str| winner(&vars, n).1;
        assert_eq!(got("a"), "tfvars", "terraform.tfvars beats the environment");
        assert_eq!(
            got("b"),
            "json",
            "terraform.tfvars.json beats terraform.tfvars"
        );
        assert_eq!(got("c"), "b-auto", "auto files in lexical order: b after a");
        assert_eq!(got("d"), "json");
        assert_eq!(got("e"), "var-file", "flags beat every file");
        assert_eq!(got("f"), "flag");
        assert_eq!(winner(&vars, "f").0, "--var f");
        assert!(vars.get("g").is_none());
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn a_broken_json_tfvars_file_is_an_input_error() {
        let d = dir(&[("terraform.tfvars.json", "{\"a\": \n")]);
        let options = super::super::Options {
            tf_dir: None,
            env: &|_| None,
            vars: &[],
            reader: Reader::DISK,
        };
        let errors = RootVars::load(&d, &[], &options).err().expect("refused");
        assert!(
            errors[0].message().contains("not a JSON object"),
            "{}",
            errors[0].message()
        );
        let _ = std::fs::remove_dir_all(d);
    }
}
