//! `preflight lsp`: a language server over stdio, on `lsp-server` and `lsp-types` (the pair
//! rust-analyzer and ruff are built on). Diagnostics come from the same pipeline as
//! `validate`, run on the open buffers; facts come only from `--facts` or the cache, so a
//! keystroke never asks the clouds. Asking them is a code action (or a save, when the client
//! sets `fetchOnSave`) that runs in the background with progress and a cancel button.
//!
//! One thread answers messages in order; a burst of changes is checked once, after the last.
//! Fetches run on a thread of their own and report back through a channel.

mod actions;
mod convert;
mod diagnose;
mod fetch;
mod hover;
mod transport;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionProviderCapability, CompletionOptions, ExecuteCommandOptions,
    HoverProviderCapability, PublishDiagnosticsParams, SaveOptions, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri,
};

pub use convert::Encoding;
use diagnose::ByFile;

use crate::facts::Facts;
use crate::files::{Overlay, Reader};
use crate::pipeline::{ValidateOptions, Validated};

/// What `preflight lsp` is started with: the fact sources of `validate`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Check against this facts file (re-read when it changes); never ask the clouds.
    pub facts: Option<PathBuf>,
    /// Never ask the clouds: the cache (or `--facts`) only, and no fetch action.
    pub offline: bool,
    /// Extra rule directories.
    pub rules: Vec<PathBuf>,
    /// A config file instead of the nearest `.preflight.yaml`.
    pub config: Option<PathBuf>,
}

/// The command the "ask the clouds" code action runs.
pub const FETCH_COMMAND: &str = "preflight.fetch";

/// Serves one client on stdin and stdout until it says `exit`.
/// `Err` says why the session did not end with `shutdown` and `exit` (the protocol's exit
/// code 1).
pub fn run(settings: Settings) -> Result<(), String> {
    let (connection, io) = transport::stdio();
    let served = serve(&connection, settings);
    drop(connection);
    // What the reader saw (a malformed header) says more than a closed channel.
    let read = io
        .join()
        .map_err(|e| format!("cannot read what the editor sent: {e}"));
    match (served, read) {
        (Ok(()), read) => read,
        (Err(_), Err(why)) | (Err(why), Ok(())) => Err(why),
    }
}

/// Serves one client on `connection`.
pub fn serve(connection: &Connection, settings: Settings) -> Result<(), String> {
    let (id, params) = connection.initialize_start().map_err(|e| {
        if e.channel_is_disconnected() {
            "the input ended before an `initialize` request: `preflight lsp` is started by an \
             editor's language client (the README's \"In the editor\" says how)"
                .to_string()
        } else {
            e.to_string()
        }
    })?;
    // Read field by field: a client whose capabilities lsp-types does not model in full
    // still gets what it asked for where preflight understands it.
    let encoding = Encoding::negotiate(&params["capabilities"]["general"]["positionEncodings"]);
    let capabilities = ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(
            lsp_types::CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions::default()),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![FETCH_COMMAND.to_string()],
            ..Default::default()
        }),
        ..ServerCapabilities::default()
    };
    let result = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": { "name": "preflight", "version": env!("CARGO_PKG_VERSION") },
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let options = params["initializationOptions"].clone();
    let progress = params["capabilities"]["window"]["workDoneProgress"] == true;
    let (events, inbox) = crossbeam_channel::unbounded();
    let mut server = Server {
        out: connection.sender.clone(),
        settings,
        encoding,
        fetch_on_save: options
            .get("fetchOnSave")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false),
        progress,
        docs: HashMap::new(),
        units: BTreeMap::new(),
        dirty: BTreeSet::new(),
        remembered: HashMap::new(),
        fetching: None,
        events,
        next_id: 0,
        warned: BTreeSet::new(),
    };
    server.main_loop(connection, &inbox)
}

/// What a background job tells the main loop.
enum Event {
    Fetched(fetch::Done),
}

/// An open document.
struct Doc {
    uri: Uri,
    text: Arc<str>,
    /// What `validate` is given for it, found once (again after a save of a `.tf` file, which
    /// may change which modules call which).
    targets: Option<Vec<PathBuf>>,
}

/// A checked document's last run.
struct Unit {
    /// What `validate` was given.
    targets: Vec<PathBuf>,
    diagnostics: ByFile,
    run: Validated,
    /// The last run that read the plan, for completion while the text does not parse.
    last_good: Option<Validated>,
}

struct Server {
    out: Sender<Message>,
    settings: Settings,
    encoding: Encoding,
    fetch_on_save: bool,
    /// Whether the client shows `$/progress`.
    progress: bool,
    docs: HashMap<PathBuf, Doc>,
    units: BTreeMap<PathBuf, Unit>,
    /// Documents changed since they were last checked.
    dirty: BTreeSet<PathBuf>,
    /// Facts a fetch brought when there is no cache to keep them in, per unit.
    remembered: HashMap<PathBuf, Arc<Facts>>,
    fetching: Option<fetch::Running>,
    events: Sender<Event>,
    next_id: i32,
    /// Warnings already shown.
    warned: BTreeSet<String>,
}

/// A request's answer from `f`, or why its parameters could not be read.
fn answer<R: req::Request>(
    r: Request,
    f: impl FnOnce(R::Params) -> R::Result,
) -> Result<serde_json::Value, String> {
    let (_, params) = r
        .extract::<R::Params>(R::METHOD)
        .map_err(|e| e.to_string())?;
    serde_json::to_value(f(params)).map_err(|e| e.to_string())
}

impl Server {
    fn main_loop(
        &mut self,
        connection: &Connection,
        inbox: &Receiver<Event>,
    ) -> Result<(), String> {
        let ticks = crossbeam_channel::tick(std::time::Duration::from_secs(1));
        let mut facts_stamp = self.facts_stamp();
        loop {
            select! {
                recv(connection.receiver) -> msg => {
                    let Ok(mut msg) = msg else {
                        return Err("the editor closed the connection without `shutdown`".to_string());
                    };
                    // A burst of changes is checked once, after the last: the reader thread
                    // hands over what it has already read without waiting.
                    loop {
                        if self.message(connection, msg)? {
                            return Ok(());
                        }
                        match connection.receiver.try_recv() {
                            Ok(next) => msg = next,
                            Err(_) => break,
                        }
                    }
                }
                recv(inbox) -> event => {
                    if let Ok(Event::Fetched(done)) = event {
                        self.fetched(done);
                    }
                }
                recv(ticks) -> _ => {
                    // `preflight fetch -o` wrote the facts file anew: check against it.
                    let stamp = self.facts_stamp();
                    if stamp != facts_stamp {
                        facts_stamp = stamp;
                        let all: Vec<PathBuf> = self.units.keys().cloned().collect();
                        self.dirty.extend(all);
                    }
                }
            }
            self.flush();
        }
    }

    /// Handles one message; true when the client has said `shutdown` and `exit`.
    fn message(&mut self, connection: &Connection, msg: Message) -> Result<bool, String> {
        match msg {
            Message::Request(request) => {
                if connection
                    .handle_shutdown(&request)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(true);
                }
                // A request answers about the text as it is now.
                self.flush();
                let id = request.id.clone();
                let response = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.request(request)
                }))
                .unwrap_or_else(|_| {
                    Response::new_err(
                        id,
                        ErrorCode::InternalError as i32,
                        "preflight failed to answer (a bug; please report it)".to_string(),
                    )
                });
                self.send(response.into());
            }
            Message::Notification(n) if n.method == "exit" => {
                return Err("the editor said `exit` without `shutdown`".to_string());
            }
            Message::Notification(n) => self.notification(n),
            Message::Response(_) => {}
        }
        Ok(false)
    }

    fn send(&self, message: Message) {
        let _ = self.out.send(message);
    }

    fn notify<N: lsp_types::notification::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.to_string(), params).into());
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                if let Ok(p) = n.extract::<lsp_types::DidOpenTextDocumentParams>(
                    note::DidOpenTextDocument::METHOD,
                ) {
                    self.open(p.text_document.uri, p.text_document.text);
                }
            }
            note::DidChangeTextDocument::METHOD => {
                if let Ok(p) = n.extract::<lsp_types::DidChangeTextDocumentParams>(
                    note::DidChangeTextDocument::METHOD,
                ) && let Some(change) = p.content_changes.into_iter().last()
                {
                    // Full sync: each change is the whole text.
                    self.open(p.text_document.uri, change.text);
                }
            }
            note::DidSaveTextDocument::METHOD => {
                if let Ok(p) = n.extract::<lsp_types::DidSaveTextDocumentParams>(
                    note::DidSaveTextDocument::METHOD,
                ) && let Some(path) = convert::path_of(&p.text_document.uri)
                {
                    if path.extension().is_some_and(|e| e == "tf") {
                        // Module calls may have changed: find the roots again.
                        for doc in self.docs.values_mut() {
                            doc.targets = None;
                        }
                    }
                    self.touch(&path);
                    self.flush();
                    if self.fetch_on_save && self.needs_facts(&path) {
                        self.start_fetch(&path);
                    }
                }
            }
            note::DidCloseTextDocument::METHOD => {
                if let Ok(p) = n.extract::<lsp_types::DidCloseTextDocumentParams>(
                    note::DidCloseTextDocument::METHOD,
                ) && let Some(path) = convert::path_of(&p.text_document.uri)
                {
                    self.docs.remove(&path);
                    self.dirty.remove(&path);
                    if let Some(unit) = self.units.remove(&path) {
                        self.publish(unit.diagnostics.keys().cloned().collect());
                    }
                    // What else was checked against this buffer now reads the file.
                    self.touch(&path);
                }
            }
            note::WorkDoneProgressCancel::METHOD => {
                if let Ok(p) = n.extract::<lsp_types::WorkDoneProgressCancelParams>(
                    note::WorkDoneProgressCancel::METHOD,
                ) {
                    self.cancel_fetch(&p.token);
                }
            }
            _ => {}
        }
    }

    fn request(&mut self, r: Request) -> Response {
        let id = r.id.clone();
        let result = match r.method.as_str() {
            req::CodeActionRequest::METHOD => {
                answer::<req::CodeActionRequest>(r, |p| Some(self.code_actions(&p)))
            }
            req::HoverRequest::METHOD => answer::<req::HoverRequest>(r, |p| self.hover(&p)),
            req::Completion::METHOD => answer::<req::Completion>(r, |p| self.completion(&p)),
            req::ExecuteCommand::METHOD => answer::<req::ExecuteCommand>(r, |p| self.execute(&p)),
            _ => {
                return Response::new_err(
                    id,
                    ErrorCode::MethodNotFound as i32,
                    format!("preflight does not answer `{}`", r.method),
                );
            }
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e),
        }
    }

    /// A document's new text (on open or change).
    fn open(&mut self, uri: Uri, text: String) {
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
    fn touch(&mut self, path: &Path) {
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

    /// Checks every document changed since its last check, and publishes.
    fn flush(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        let mut affected = BTreeSet::new();
        for path in dirty {
            affected.extend(self.check(&path));
        }
        self.publish(affected);
    }

    /// The open buffers, as files are read while checking.
    fn overlay(&self) -> Arc<Overlay> {
        Arc::new(
            self.docs
                .iter()
                .map(|(path, doc)| (path.clone(), Arc::clone(&doc.text)))
                .collect(),
        )
    }

    /// What `validate` is given for the document at `path`, checking `targets`: `offline`
    /// unless asked to fetch.
    fn options(
        &self,
        path: &Path,
        targets: &[PathBuf],
        fetch: bool,
    ) -> Result<ValidateOptions, Vec<crate::error::InputError>> {
        let start = path.parent().unwrap_or(Path::new("."));
        let network = crate::cli::NetworkArgs::default();
        let buffers = self.overlay();
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
    fn check(&mut self, path: &Path) -> Vec<PathBuf> {
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
        let options = self.options(path, &targets, false);
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
    fn publish(&self, files: BTreeSet<PathBuf>) {
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

    /// Whether a unit has `unverified` findings that facts the cache does not hold would
    /// settle (not those only Terraform can settle).
    fn needs_facts(&self, path: &Path) -> bool {
        self.units
            .get(path)
            .is_some_and(|u| u.run.report.diagnostics.iter().any(|d| d.needs_facts))
    }

    /// When and how big the facts file was last written, to notice a new one.
    fn facts_stamp(&self) -> Option<(std::time::SystemTime, u64)> {
        let meta = std::fs::metadata(self.settings.facts.as_ref()?).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    }

    /// Shows what `validate` would print on stderr (an unwritable cache), once a session.
    fn warn_once(&mut self, warning: &str) {
        if self.warned.insert(warning.to_string()) {
            self.notify::<note::ShowMessage>(lsp_types::ShowMessageParams {
                typ: lsp_types::MessageType::WARNING,
                message: format!("preflight: {warning}"),
            });
        }
    }

    fn next_request_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId::from(self.next_id)
    }
}
