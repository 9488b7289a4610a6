//! A language client for tests and benchmarks: the binary's `preflight lsp` over stdio, with
//! JSON-RPC messages framed by `Content-Length` headers, as editors send them.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

/// How long to wait for a message before calling the server stuck (a hang guard, not a
/// timing assertion).
const STUCK: Duration = Duration::from_secs(60);

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    inbox: mpsc::Receiver<Value>,
    /// Messages read while waiting for something else, oldest first.
    held: VecDeque<Value>,
    next_id: i64,
    /// Everything the server sent, for assertions about what happened in between.
    pub log: Vec<Value>,
    /// What the server wrote on stderr, kept for assertions (and out of the test run's own
    /// output, where a server's complaint would read as a failure).
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    pub fn start(args: &[&str], env: Vec<(String, String)>, cwd: &Path) -> Client {
        Client::start_binary(Path::new(env!("CARGO_BIN_EXE_preflight")), args, env, cwd)
    }

    /// The language server of `binary`.
    pub fn start_binary(
        binary: &Path,
        args: &[&str],
        env: Vec<(String, String)>,
        cwd: &Path,
    ) -> Client {
        let mut command = Command::new(binary);
        command.arg("lsp").args(args);
        super::run::hermetic(&mut command, cwd, env);
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut err = child.stderr.take().expect("stderr");
        let kept = std::sync::Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut text);
            if let Ok(mut k) = kept.lock() {
                k.push_str(&text);
            }
        });
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, inbox) = mpsc::channel();
        std::thread::spawn(move || {
            while let Some(message) = read_message(&mut stdout) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            inbox,
            held: VecDeque::new(),
            next_id: 0,
            log: Vec::new(),
            stderr,
        }
    }

    /// What the server writes on stderr, filled as it comes (all of it once it has exited).
    pub fn stderr_handle(&self) -> std::sync::Arc<std::sync::Mutex<String>> {
        std::sync::Arc::clone(&self.stderr)
    }

    pub fn send(&mut self, message: Value) {
        let body = serde_json::to_string(&message).expect("json");
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next message from the server; requests it makes (progress tokens) are answered.
    pub fn next(&mut self) -> Value {
        if let Some(m) = self.held.pop_front() {
            return m;
        }
        let message = self
            .inbox
            .recv_timeout(STUCK)
            .expect("the server answers (or it is stuck)");
        self.log.push(message.clone());
        if message.get("method").is_some() && message.get("id").is_some() {
            let id = message["id"].clone();
            self.send(json!({"jsonrpc": "2.0", "id": id, "result": null}));
        }
        message
    }

    /// The first message `wanted` accepts; the others are kept, in order, for later.
    pub fn wait_for(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let mut skipped = Vec::new();
        loop {
            let m = self.next();
            if wanted(&m) {
                for s in skipped.into_iter().rev() {
                    self.held.push_front(s);
                }
                return m;
            }
            skipped.push(m);
        }
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let response = self.wait_for(|m| m["id"] == id && m.get("method").is_none());
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    pub fn initialize(&mut self, capabilities: Value, options: Value) -> Value {
        let result = self.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": capabilities,
                   "initializationOptions": options}),
        );
        self.notify("initialized", json!({}));
        result
    }

    /// The code actions for one published diagnostic, asked as VS Code asks: its range, and
    /// it in the context.
    pub fn code_actions(&mut self, uri: &str, diagnostic: &Value) -> Vec<Value> {
        let actions = self.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": diagnostic["range"],
                   "context": {"diagnostics": [diagnostic]}}),
        );
        actions.as_array().cloned().expect("a list of actions")
    }

    /// The next diagnostics published for `uri`.
    pub fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn open(&mut self, path: &Path, text: &str) -> String {
        let uri = uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        );
        uri
    }

    pub fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [{"text": text}]}),
        );
    }

    /// Waits for the server to end; its exit status.
    pub fn wait(mut self) -> std::process::ExitStatus {
        self.child.wait().expect("the server exits")
    }

    /// Shuts the server down as editors do; its exit status.
    pub fn shutdown(mut self) -> std::process::ExitStatus {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        self.child.wait().expect("the server exits")
    }
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display()).replace(' ', "%20")
}
