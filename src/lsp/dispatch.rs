//! The language server's dispatch: the main loop over the editor's messages, the background
//! fetch's events and a one-second tick (a facts file written anew), and one handler per
//! notification and request. A burst of changes is handed over by the reader thread at once
//! and checked once, after the last.

use std::path::PathBuf;

use crossbeam_channel::{Receiver, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};

use super::convert;
use super::session::{Event, Server};

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
    pub(super) fn main_loop(
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
    pub(super) fn message(
        &mut self,
        connection: &Connection,
        msg: Message,
    ) -> Result<bool, String> {
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

    pub(super) fn notification(&mut self, n: Notification) {
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

    pub(super) fn request(&mut self, r: Request) -> Response {
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
}
