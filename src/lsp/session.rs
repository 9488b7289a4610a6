//! The language server's session: the open documents (what the editor shows, saved or not),
//! each checked document's last run, what is dirty, the fetch under way; and what changes
//! them (a document's new text, which documents read which). `dispatch` routes messages here,
//! `check` runs the pipeline on the dirty documents.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossbeam_channel::Sender;
use lsp_server::{Message, Notification, RequestId};
use lsp_types::Uri;
use lsp_types::notification as note;

use super::diagnose::ByFile;
use super::{Encoding, Settings, convert, fetch};
use crate::facts::Facts;
use crate::files::Overlay;
use crate::pipeline::Validated;

/// What a background job tells the main loop.
pub(super) enum Event {
    Fetched(fetch::Done),
}

/// An open document.
pub(super) struct Doc {
    pub(super) uri: Uri,
    pub(super) text: Arc<str>,
    /// What `validate` is given for it, found once (again after a save of a `.tf` file, which
    /// may change which modules call which).
    pub(super) targets: Option<Vec<PathBuf>>,
}

/// A checked document's last run.
pub(super) struct Unit {
    /// What `validate` was given.
    pub(super) targets: Vec<PathBuf>,
    pub(super) diagnostics: ByFile,
    pub(super) run: Validated,
    /// The last run that read the plan, for completion while the text does not parse.
    pub(super) last_good: Option<Validated>,
}

pub(super) struct Server {
    pub(super) out: Sender<Message>,
    pub(super) settings: Settings,
    pub(super) encoding: Encoding,
    pub(super) fetch_on_save: bool,
    /// Whether the client shows `$/progress`.
    pub(super) progress: bool,
    pub(super) docs: HashMap<PathBuf, Doc>,
    pub(super) units: BTreeMap<PathBuf, Unit>,
    /// Documents changed since they were last checked.
    pub(super) dirty: BTreeSet<PathBuf>,
    /// Facts a fetch brought when there is no cache to keep them in, per unit.
    pub(super) remembered: HashMap<PathBuf, Arc<Facts>>,
    pub(super) fetching: Option<fetch::Running>,
    pub(super) events: Sender<Event>,
    pub(super) next_id: i32,
    /// Warnings already shown.
    pub(super) warned: BTreeSet<String>,
}

impl Server {
    pub(super) fn send(&self, message: Message) {
        let _ = self.out.send(message);
    }

    pub(super) fn notify<N: lsp_types::notification::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.to_string(), params).into());
    }

    /// A document's new text (on open or change).
    pub(super) fn open(&mut self, uri: Uri, text: String) {
        let Some(path) = convert::path_of(&uri) else {
            return;
        };
        let targets = self.docs.remove(&path).and_then(|d| d.targets);
        self.docs.insert(
            path.clone(),
            Doc {
                uri,
                text: Arc::from(text),
                targets,
            },
        );
        self.touch(&path);
    }

    /// Marks `path` to be checked again, and every checked document that may read it: a
    /// Terraform root module reads every file below it (its modules), a plan file the files
    /// beside it (plan JSON its `.tf` files).
    pub(super) fn touch(&mut self, path: &Path) {
        self.dirty.insert(path.to_path_buf());
        for (other, unit) in &self.units {
            let reads = unit.targets.iter().any(|t| {
                if t.is_dir() {
                    path.starts_with(t)
                } else {
                    path.parent() == t.parent()
                }
            });
            if reads {
                self.dirty.insert(other.clone());
            }
        }
    }

    /// The open buffers, as files are read while checking.
    pub(super) fn overlay(&self) -> Arc<Overlay> {
        Arc::new(
            self.docs
                .iter()
                .map(|(path, doc)| (path.clone(), Arc::clone(&doc.text)))
                .collect(),
        )
    }

    /// Whether a unit has `unverified` findings that facts the cache does not hold would
    /// settle (not those only Terraform can settle).
    pub(super) fn needs_facts(&self, path: &Path) -> bool {
        self.units
            .get(path)
            .is_some_and(|u| u.run.report.diagnostics.iter().any(|d| d.needs_facts))
    }

    /// When and how big the facts file was last written, to notice a new one.
    pub(super) fn facts_stamp(&self) -> Option<(std::time::SystemTime, u64)> {
        let meta = std::fs::metadata(self.settings.facts.as_ref()?).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    }

    /// Shows what `validate` would print on stderr (an unwritable cache), once a session.
    pub(super) fn warn_once(&mut self, warning: &str) {
        if self.warned.insert(warning.to_string()) {
            self.notify::<note::ShowMessage>(lsp_types::ShowMessageParams {
                typ: lsp_types::MessageType::WARNING,
                message: format!("preflight: {warning}"),
            });
        }
    }

    pub(super) fn next_request_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId::from(self.next_id)
    }
}
