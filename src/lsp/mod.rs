//! `preflight lsp`: a language server over stdio, on `lsp-server` and `lsp-types` (the pair
//! rust-analyzer and ruff are built on). Diagnostics come from the same pipeline as
//! `validate`, run on the open buffers; facts come only from `--facts` or the cache, so a
//! keystroke never asks the clouds. Asking them is a code action (or a save, when the client
//! sets `fetchOnSave`) that runs in the background with progress and a cancel button.
//!
//! One thread answers messages in order; a burst of changes is checked once, after the last.
//! Fetches run on a thread of their own and report back through a channel. `transport` reads
//! and writes the messages, `session` holds the documents, `dispatch` routes messages,
//! `check` runs the pipeline on the buffers; `actions`, `hover` and `fetch` answer requests.

mod actions;
mod check;
mod convert;
mod diagnose;
mod dispatch;
mod fetch;
mod hover;
mod session;
mod transport;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use lsp_server::Connection;
use lsp_types::{
    CodeActionKind, CodeActionProviderCapability, CompletionOptions, ExecuteCommandOptions,
    HoverProviderCapability, SaveOptions, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions,
};

pub use convert::Encoding;
use session::{Event, Server, Unit};

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
