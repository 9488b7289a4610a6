//! Asking the clouds for what the cache does not hold, in the background: `$/progress` while
//! it runs (one report per answer), a cancel button that stops it, and a new check of every
//! open document when it is done, against the answers it cached.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::notification::{self as note};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    MessageType, NumberOrString, ProgressParams, ProgressParamsValue, ShowMessageParams,
    WorkDoneProgress, WorkDoneProgressBegin, WorkDoneProgressCreateParams, WorkDoneProgressEnd,
    WorkDoneProgressReport,
};

use super::{Event, Server};
use crate::clouds::Fetched;
use crate::error::InputError;

/// The fetch under way.
pub struct Running {
    token: NumberOrString,
    cancel: Arc<tokio::sync::Notify>,
    cancelled: bool,
}

/// What a fetch brought.
pub struct Done {
    unit: PathBuf,
    token: NumberOrString,
    result: Result<Fetched, Vec<InputError>>,
}

fn progress(value: WorkDoneProgress, token: &NumberOrString) -> ProgressParams {
    ProgressParams {
        token: token.clone(),
        value: ProgressParamsValue::WorkDone(value),
    }
}

impl Server {
    /// Starts asking the clouds for the facts the document at `path` needs; says why not when
    /// it cannot (`--offline`, `--facts`, a fetch already running).
    pub(super) fn start_fetch(&mut self, path: &Path) {
        let refuse = if self.settings.offline {
            Some("preflight lsp runs --offline: it does not ask the clouds")
        } else if self.settings.facts.is_some() {
            Some("preflight lsp checks against --facts: refresh that file with `preflight fetch`")
        } else if self.fetching.is_some() {
            Some("preflight is already asking the clouds; try again when it is done")
        } else {
            None
        };
        if let Some(why) = refuse {
            self.notify::<note::ShowMessage>(ShowMessageParams {
                typ: MessageType::INFO,
                message: why.to_string(),
            });
            return;
        }
        let Some(unit) = self.units.get(path) else {
            return;
        };
        let targets = unit.targets.clone();
        let unit_path = path.to_path_buf();
        let mut options = match self.options(path, &targets, true, self.overlay()) {
            Ok(options) => options,
            Err(errors) => {
                self.notify::<note::ShowMessage>(ShowMessageParams {
                    typ: MessageType::ERROR,
                    message: errors
                        .iter()
                        .map(|e| e.message().to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                });
                return;
            }
        };
        self.next_id += 1;
        let token = NumberOrString::String(format!("preflight-fetch-{}", self.next_id));
        let cancel = Arc::new(tokio::sync::Notify::new());
        if self.progress {
            let id = self.next_request_id();
            self.send(
                lsp_server::Request::new(
                    id,
                    req::WorkDoneProgressCreate::METHOD.to_string(),
                    WorkDoneProgressCreateParams {
                        token: token.clone(),
                    },
                )
                .into(),
            );
            self.notify::<note::Progress>(progress(
                WorkDoneProgress::Begin(WorkDoneProgressBegin {
                    title: "preflight: asking the clouds".to_string(),
                    cancellable: Some(true),
                    message: Some(format!("for {}", unit_path.display())),
                    percentage: None,
                }),
                &token,
            ));
            let out = self.out.clone();
            let log_token = token.clone();
            if let Some(config) = options.fetch.as_mut() {
                config.log = Some(Arc::new(move |line: String| {
                    let value = progress(
                        WorkDoneProgress::Report(WorkDoneProgressReport {
                            message: Some(line),
                            cancellable: Some(true),
                            percentage: None,
                        }),
                        &log_token,
                    );
                    let _ = out.send(
                        lsp_server::Notification::new(
                            <note::Progress as lsp_types::notification::Notification>::METHOD
                                .to_string(),
                            value,
                        )
                        .into(),
                    );
                }));
            }
        }
        if let Some(config) = options.fetch.as_mut() {
            config.cancel = Some(Arc::clone(&cancel));
        }
        self.fetching = Some(Running {
            token: token.clone(),
            cancel,
            cancelled: false,
        });
        let events = self.events.clone();
        std::thread::spawn(move || {
            let result = crate::pipeline::fetch_facts(&options);
            let _ = events.send(Event::Fetched(Done {
                unit: unit_path,
                token,
                result,
            }));
        });
    }

    /// The client's cancel button.
    pub(super) fn cancel_fetch(&mut self, token: &NumberOrString) {
        if let Some(running) = &mut self.fetching
            && running.token == *token
        {
            running.cancel.notify_one();
            running.cancelled = true;
        }
    }

    /// A fetch is over: say how it went, keep its facts where the cache cannot, check again.
    pub(super) fn fetched(&mut self, done: Done) {
        let cancelled = self.fetching.take().is_some_and(|r| r.cancelled);
        let message = match (&done.result, cancelled) {
            (_, true) => "cancelled".to_string(),
            (Err(errors), _) => errors
                .iter()
                .map(|e| e.message().to_string())
                .collect::<Vec<_>>()
                .join("; "),
            (Ok(fetched), _) => {
                let failed = fetched.facts.failures();
                if failed == 0 {
                    format!("{} requests", fetched.requests)
                } else {
                    format!(
                        "{} requests; {} could not be fetched, so what needs them stays unverified",
                        fetched.requests,
                        crate::report::plural(failed, "fact", "facts")
                    )
                }
            }
        };
        if self.progress {
            self.notify::<note::Progress>(progress(
                WorkDoneProgress::End(WorkDoneProgressEnd {
                    message: Some(message),
                }),
                &done.token,
            ));
        }
        if cancelled {
            return;
        }
        if let Ok(fetched) = done.result {
            for warning in &fetched.warnings {
                self.warn_once(warning);
            }
            self.remembered.insert(done.unit, Arc::new(fetched.facts));
        }
        let all: Vec<PathBuf> = self.units.keys().cloned().collect();
        self.dirty.extend(all);
        self.flush();
    }
}
