//! The server's stdio transport: JSON-RPC messages framed by `Content-Length`, read on one
//! thread and written on another, as `lsp_server::Connection::stdio` does, with two
//! differences. A message longer than preflight reads (a document over the input limit, or a
//! header claiming 10 GB) is read past in small pieces and answered with a message to the
//! user, instead of being allocated whole; and what is read goes into an unbounded channel,
//! so a burst of changes is waiting for the main loop when it next looks, and is checked once.

use std::io::{self, BufRead, Read};
use std::thread::JoinHandle;

use crossbeam_channel::Sender;
use lsp_server::{Connection, Message, Notification};

/// The longest message the server reads: a document at the input limit, JSON-escaped
/// (a line break is two bytes there), with room for the envelope.
pub const MAX_MESSAGE: u64 = 2 * crate::files::MAX_INPUT_BYTES as u64 + 1024 * 1024;
/// The longest header line.
const MAX_HEADER_LINE: u64 = 8 * 1024;

/// The reader and writer threads; `join` says why reading stopped, if not at the end.
pub struct Threads {
    reader: JoinHandle<Result<(), String>>,
    writer: JoinHandle<io::Result<()>>,
}

impl Threads {
    pub fn join(self) -> Result<(), String> {
        let read = self
            .reader
            .join()
            .unwrap_or_else(|_| Err("the reader stopped".to_string()));
        let _ = self.writer.join();
        read
    }
}

/// A connection over stdin and stdout.
pub fn stdio() -> (Connection, Threads) {
    let (to_client, outbox) = crossbeam_channel::unbounded::<Message>();
    let writer = std::thread::spawn(move || {
        let stdout = io::stdout();
        let mut stdout = stdout.lock();
        for message in outbox {
            message.write(&mut stdout)?;
        }
        Ok(())
    });
    let (inbox, from_client) = crossbeam_channel::unbounded::<Message>();
    let notices = to_client.clone();
    let reader = std::thread::spawn(move || {
        let stdin = io::stdin();
        read_all(&mut stdin.lock(), &inbox, &notices)
    });
    let connection = Connection {
        sender: to_client,
        receiver: from_client,
    };
    (connection, Threads { reader, writer })
}

/// Reads messages until the input ends or `exit`; a framing error ends the session (there
/// is no telling where the next message starts), a message too long or not JSON-RPC is
/// read past and shown to the user.
pub fn read_all(
    input: &mut impl BufRead,
    inbox: &Sender<Message>,
    notices: &Sender<Message>,
) -> Result<(), String> {
    loop {
        let Some(length) = header(input)? else {
            return Ok(());
        };
        if length > MAX_MESSAGE {
            skip(input, length)?;
            show(
                notices,
                &format!(
                    "preflight: the editor sent a message of {length} bytes, over the {} MiB preflight reads; it was ignored, so a document that large is not checked",
                    MAX_MESSAGE / (1024 * 1024)
                ),
            );
            continue;
        }
        let mut body = Vec::new();
        input
            .take(length)
            .read_to_end(&mut body)
            .map_err(|e| e.to_string())?;
        if (body.len() as u64) < length {
            return Err("the input ended inside a message".to_string());
        }
        match serde_json::from_slice::<Message>(&body) {
            Ok(message) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if inbox.send(message).is_err() || exit {
                    return Ok(());
                }
            }
            Err(e) => show(
                notices,
                &format!(
                    "preflight: the editor sent a message that is not JSON-RPC ({e}); it was ignored"
                ),
            ),
        }
    }
}

/// The headers of one message: its `Content-Length`, or `None` at the end of the input.
fn header(input: &mut impl BufRead) -> Result<Option<u64>, String> {
    let mut length = None;
    let mut first = true;
    loop {
        let mut line = Vec::new();
        input
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)
            .map_err(|e| e.to_string())?;
        if line.is_empty() && first {
            return Ok(None);
        }
        first = false;
        let text = String::from_utf8_lossy(&line);
        let Some(text) = text.strip_suffix("\r\n") else {
            return Err(format!("malformed header: {text:?}"));
        };
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(": ") else {
            return Err(format!("malformed header: {text:?}"));
        };
        if name.eq_ignore_ascii_case("Content-Length") {
            length = Some(
                value
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| format!("malformed header: {text:?}"))?,
            );
        }
    }
    length
        .map(Some)
        .ok_or_else(|| "malformed header: no Content-Length".to_string())
}

/// Reads `length` bytes and drops them, a piece at a time.
fn skip(input: &mut impl BufRead, length: u64) -> Result<(), String> {
    let skipped = io::copy(&mut input.take(length), &mut io::sink()).map_err(|e| e.to_string())?;
    if skipped < length {
        return Err("the input ended inside a message".to_string());
    }
    Ok(())
}

fn show(out: &Sender<Message>, text: &str) {
    let params = lsp_types::ShowMessageParams {
        typ: lsp_types::MessageType::ERROR,
        message: text.to_string(),
    };
    let _ = out.send(Notification::new("window/showMessage".to_string(), params).into());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn read(input: impl Read) -> (Result<(), String>, Vec<Message>, Vec<Message>) {
        let (inbox, messages) = crossbeam_channel::unbounded();
        let (notices, shown) = crossbeam_channel::unbounded();
        let result = read_all(&mut io::BufReader::new(input), &inbox, &notices);
        (
            result,
            messages.try_iter().collect(),
            shown.try_iter().collect(),
        )
    }

    #[test]
    fn a_huge_length_is_read_past_and_the_next_message_still_arrives() {
        let ok = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let head = format!("Content-Length: {}\r\n\r\n", MAX_MESSAGE + 1);
        let input = head
            .as_bytes()
            .chain(io::repeat(b'x').take(MAX_MESSAGE + 1))
            .chain(io::Cursor::new(frame(ok)));
        let (result, messages, shown) = read(input);
        assert_eq!(result, Ok(()));
        assert_eq!(messages.len(), 1, "the message after it is read");
        assert_eq!(shown.len(), 1, "the user is told");
    }

    #[test]
    fn a_length_that_never_comes_ends_the_session_without_allocating_it() {
        let (result, messages, _) = read(&b"Content-Length: 10000000000\r\n\r\n{}"[..]);
        assert_eq!(result, Err("the input ended inside a message".to_string()));
        assert!(messages.is_empty());
    }

    #[test]
    fn bad_json_is_shown_and_framing_errors_end_the_session() {
        let (result, messages, shown) = read(frame("{not json").as_bytes());
        assert_eq!(result, Ok(()));
        assert!(messages.is_empty());
        assert_eq!(shown.len(), 1);
        let (result, _, _) = read(&b"garbage\n"[..]);
        assert!(result.unwrap_err().contains("malformed header"));
        let (result, _, _) = read(&b"Content-Type: x\r\n\r\n"[..]);
        assert!(result.unwrap_err().contains("no Content-Length"));
    }
}
