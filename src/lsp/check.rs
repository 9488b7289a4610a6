//! Checking documents: the pipeline run on the open buffers (`files::Reader`), with the
//! settings `validate` would have, offline unless a fetch asked; then the diagnostics
//! published for every file whose findings may have changed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::PublishDiagnosticsParams;
use lsp_types::notification as note;

use super::convert;
use super::diagnose::{self, ByFile};
use super::session::{Server, Unit};
use crate::facts::Facts;
use crate::files::{Overlay, Reader};
use crate::pipeline::{ValidateOptions, Validated};

impl Server {
    /// Checks every document changed since its last check, and publishes.
    pub(super) fn flush(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        let mut affected = BTreeSet::new();
        for path in dirty {
            affected.extend(self.check(&path));
        }
        self.publish(affected);
    }

    /// What `validate` is given for the document at `path`, checking `targets`: `offline`
    /// unless asked to fetch.
    pub(super) fn options(
        &self,
        path: &Path,
        targets: &[PathBuf],
        fetch: bool,
        buffers: Arc<Overlay>,
    ) -> Result<ValidateOptions, Vec<crate::error::InputError>> {
        let start = path.parent().unwrap_or(Path::new("."));
        let network = crate::cli::NetworkArgs::default();
        let resolved = crate::settings::resolve(&crate::settings::Asked {
            reader: Reader::with_buffers(&buffers),
            config: self.settings.config.as_deref(),
            facts: self.settings.facts.is_some(),
            offline: !fetch,
            rules: &self.settings.rules,
            ..crate::settings::Asked::defaults(start, &network)
        })?;
        let preloaded = match &resolved.fetch {
            Some(c) if c.cache.is_none() && c.offline => self.remembered.get(path).cloned(),
            _ => None,
        };
        // As CI names them, run from the directory the editor started the server in (the
        // project root): rule files' `plan` globs and the paths in findings depend on it.
        let cwd = std::env::current_dir()
            .ok()
            .map(|d| crate::files::overlay_key(&d));
        let named = targets
            .iter()
            .map(|t| {
                cwd.as_ref()
                    .and_then(|cwd| t.strip_prefix(cwd).ok())
                    .filter(|rel| !rel.as_os_str().is_empty())
                    .map_or_else(|| t.clone(), Path::to_path_buf)
            })
            .collect();
        Ok(ValidateOptions {
            paths: named,
            rule_dirs: resolved.rule_dirs,
            facts: self.settings.facts.clone(),
            fetch: resolved.fetch,
            config: resolved.config,
            preloaded,
            buffers: Some(buffers),
            ..ValidateOptions::default()
        })
    }

    /// Checks one document (when preflight checks its kind); returns the files whose
    /// diagnostics may have changed.
    pub(super) fn check(&mut self, path: &Path) -> Vec<PathBuf> {
        // A document no longer open, or no longer a plan, is dropped (its diagnostics
        // cleared).
        let kind = self
            .docs
            .get(path)
            .and_then(|doc| diagnose::kind_of(path, &doc.text));
        let Some(kind) = kind else {
            return self
                .units
                .remove(path)
                .map(|u| u.diagnostics.into_keys().collect())
                .unwrap_or_default();
        };
        let overlay = self.overlay();
        let targets = match self.docs.get(path).and_then(|d| d.targets.clone()) {
            Some(t) => t,
            None => {
                let found = diagnose::targets(path, kind, Reader::with_buffers(&overlay));
                if let Some(doc) = self.docs.get_mut(path) {
                    doc.targets = Some(found.clone());
                }
                found
            }
        };
        let options = self.options(path, &targets, false, overlay);
        let encoding = self.encoding;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &options {
            Ok(options) => crate::pipeline::validate_all(options),
            Err(errors) => Validated {
                report: crate::report::Report {
                    errors: errors.clone(),
                    ..Default::default()
                },
                plans: Vec::new(),
                facts: Arc::new(Facts::new()),
            },
        }));
        let (run, diagnostics) = match outcome {
            Ok(run) => {
                let diagnostics = diagnose::to_lsp(&run.report, path, encoding);
                (run, diagnostics)
            }
            Err(panic) => {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "it stopped unexpectedly".to_string());
                let run = Validated {
                    report: crate::report::Report::default(),
                    plans: Vec::new(),
                    facts: Arc::new(Facts::new()),
                };
                (
                    run,
                    ByFile::from([(path.to_path_buf(), vec![diagnose::internal(&why)])]),
                )
            }
        };
        // What `validate` prints on stderr (an unwritable cache): said once per session.
        for warning in &run.report.warnings {
            self.warn_once(warning);
        }
        let mut affected: Vec<PathBuf> = diagnostics.keys().cloned().collect();
        affected.push(path.to_path_buf());
        let read = |r: &Validated| r.report.errors.is_empty() && !r.plans.is_empty();
        let previous = self.units.remove(path);
        if let Some(p) = &previous {
            affected.extend(p.diagnostics.keys().cloned());
        }
        // Kept only while this text does not read.
        let last_good = previous.filter(|_| !read(&run)).and_then(|p| {
            if read(&p.run) {
                Some(p.run)
            } else {
                p.last_good
            }
        });
        self.units.insert(
            path.to_path_buf(),
            Unit {
                targets,
                diagnostics,
                run,
                last_good,
            },
        );
        affected
    }

    /// Publishes, for each file, the diagnostics every unit has in it.
    pub(super) fn publish(&self, files: BTreeSet<PathBuf>) {
        for file in files {
            let from: Vec<&Vec<lsp_types::Diagnostic>> = self
                .units
                .values()
                .filter_map(|u| u.diagnostics.get(&file))
                .collect();
            let mut diagnostics: Vec<lsp_types::Diagnostic> =
                from.iter().copied().flatten().cloned().collect();
            if from.len() > 1 {
                // Two open files of one module both report its findings: once each.
                let mut seen = std::collections::HashSet::new();
                diagnostics.retain(|d| seen.insert(serde_json::to_string(d).unwrap_or_default()));
            }
            let uri = self
                .docs
                .get(&file)
                .map_or_else(|| convert::uri_of(&file), |d| d.uri.clone());
            self.notify::<note::PublishDiagnostics>(PublishDiagnosticsParams {
                uri,
                diagnostics,
                version: None,
            });
        }
    }
}
