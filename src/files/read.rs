//! Reading inputs: through a `Reader` (the disk, with the editor's open buffers in front),
//! through a cap of the size limit plus one byte, and for what may block (a FIFO, a device)
//! on a thread given up on at a deadline. What is read is remembered, so that a report is
//! never written over it.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::{io_reason, normalize};
use crate::error::{InputError, Kind};
use crate::source::SourceFile;

/// The largest input file preflight reads (plans, facts, rules, config, Terraform).
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// Why a capped read gave up.
#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    /// Over the limit: the size when the file says it (a regular file), else `None`.
    TooBig(Option<u64>),
    /// Not a regular file (a FIFO, a device), and nothing ended it within this long.
    Blocked(Duration),
}

/// How long a read of something that is not a regular file may take, in milliseconds: a
/// FIFO no one writes to, or a terminal, never ends by itself.
static BLOCKING_DEADLINE_MS: AtomicU64 = AtomicU64::new(60_000);

/// Sets how long reads of FIFOs and devices may take (the run's `--timeout`).
pub fn set_blocking_deadline(deadline: Duration) {
    let ms = u64::try_from(deadline.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    BLOCKING_DEADLINE_MS.store(ms, Ordering::Relaxed);
}

fn blocking_deadline() -> Duration {
    Duration::from_millis(BLOCKING_DEADLINE_MS.load(Ordering::Relaxed))
}

/// Reads at most `limit` bytes of `path`; more is `TooBig`, without reading on. A regular
/// file's size is checked before reading anything; anything else (a FIFO, `/dev/stdin`, a
/// device) is read on a thread of its own, given up on after the blocking deadline.
pub fn read_capped(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
    // `stat` does not block, where `open` of a FIFO with no writer does.
    let meta = fs::metadata(path).map_err(ReadError::Io)?;
    if meta.is_file() && meta.len() > limit as u64 {
        return Err(ReadError::TooBig(Some(meta.len())));
    }
    remember(&meta, path);
    if meta.is_file() || meta.is_dir() {
        return read_open(path, limit);
    }
    let deadline = blocking_deadline();
    // A read of this path still blocked from before: this one would block the same way, and
    // a long-running server asked again and again would pile up threads.
    if !lock(in_flight()).insert(path.to_path_buf()) {
        return Err(ReadError::Blocked(deadline));
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = path.to_path_buf();
    let spawned = std::thread::Builder::new()
        .name("preflight-read".into())
        .spawn(move || {
            let read = read_open(&owned, limit);
            lock(in_flight()).remove(&owned);
            let _ = tx.send(read);
        });
    if let Err(e) = spawned {
        lock(in_flight()).remove(path);
        return Err(ReadError::Io(e));
    }
    // A thread still blocked at the deadline is left to the end of the process: nothing
    // portable interrupts a blocked `open` or `read`.
    rx.recv_timeout(deadline)
        .unwrap_or(Err(ReadError::Blocked(deadline)))
}

fn read_open(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
    let file = fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() > limit {
        return Err(ReadError::TooBig(None));
    }
    Ok(bytes)
}

/// Paths (not regular files) whose read is running on a thread of its own.
fn in_flight() -> &'static Mutex<HashSet<PathBuf>> {
    static IN_FLIGHT: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    IN_FLIGHT.get_or_init(Default::default)
}

/// A lock a panicking holder cannot make unusable: the set stays right either way.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The files this process has read, by identity, so a report is never written over one.
fn inputs() -> &'static Mutex<HashSet<FileId>> {
    static INPUTS: OnceLock<Mutex<HashSet<FileId>>> = OnceLock::new();
    INPUTS.get_or_init(Default::default)
}

/// What makes two paths one file: device and inode where there are such, else the path
/// with its links resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FileId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

#[cfg_attr(unix, allow(unused_variables))]
fn file_id(meta: &fs::Metadata, path: &Path) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(FileId::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        path.canonicalize().ok().map(FileId::Path)
    }
}

/// Notes a file about to be read, by the metadata its read already has.
fn remember(meta: &fs::Metadata, path: &Path) {
    if let (Some(id), Ok(mut all)) = (file_id(meta, path), inputs().lock()) {
        all.insert(id);
    }
}

/// Whether this process read `path` (or another name of the same file) as an input.
pub fn was_read(path: &Path) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    match (file_id(&meta, path), inputs().lock()) {
        (Some(id), Ok(all)) => all.contains(&id),
        _ => false,
    }
}

/// Text that stands in for files on disk: the language server's open buffers, which are
/// what the user sees, saved or not. Keyed by absolute, normalized path.
pub type Overlay = std::collections::HashMap<PathBuf, Arc<str>>;

/// Where a run reads its inputs: the disk, with the editor's open buffers in front of it
/// when there are any. Every read of an input takes one, so no read can skip the buffers
/// (rust-analyzer's `mem_docs`); the command line reads the disk alone (`Reader::DISK`).
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    buffers: Option<&'a Overlay>,
}

impl<'a> Reader<'a> {
    /// The disk alone.
    pub const DISK: Reader<'static> = Reader { buffers: None };

    /// The disk, with `buffers` read in place of the files they name.
    pub fn with_buffers(buffers: &'a Overlay) -> Reader<'a> {
        Reader {
            buffers: Some(buffers),
        }
    }

    /// The buffer's text for `path`, when there is one.
    fn buffer(&self, path: &Path) -> Option<&'a Arc<str>> {
        let buffers = self.buffers.filter(|b| !b.is_empty())?;
        buffers.get(&overlay_key(path))
    }

    /// The buffers directly in `dir` (a buffer not saved yet has no file), as `dir/name`.
    pub fn buffers_in(&self, dir: &Path) -> Vec<PathBuf> {
        let Some(buffers) = self.buffers else {
            return Vec::new();
        };
        let key = overlay_key(dir);
        buffers
            .keys()
            .filter(|p| p.parent() == Some(key.as_path()))
            .filter_map(|p| p.file_name().map(|n| dir.join(n)))
            .collect()
    }

    /// Whether `path` is a file, on disk or in a buffer.
    pub fn is_file(&self, path: &Path) -> bool {
        self.buffer(path).is_some() || path.is_file()
    }

    /// Whether `path` is something to read as a file: a file, a buffer, or anything on disk
    /// but a directory (a FIFO, `/dev/fd/63` from `<(…)`, a broken link), so that reading it
    /// says what is wrong with it instead of it being passed over.
    pub fn is_input(&self, path: &Path) -> bool {
        self.is_file(path) || (fs::symlink_metadata(path).is_ok() && !path.is_dir())
    }

    /// Reads an input as text, refusing what is too big or not UTF-8; a buffer is held to
    /// the same limit as a file.
    pub fn read_source(&self, path: &Path, kind: Kind) -> Result<SourceFile, InputError> {
        read_source(path, kind, self.buffer(path))
    }
}

/// The key a path has in an overlay.
pub fn overlay_key(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// Reads an input as text (`buffer`'s, when the editor has it open), refusing what is too big
/// or not UTF-8.
fn read_source(
    path: &Path,
    kind: Kind,
    buffer: Option<&Arc<str>>,
) -> Result<SourceFile, InputError> {
    let shown = path.display().to_string();
    let shown = shown.strip_prefix("./").unwrap_or(&shown).to_string();
    let code = kind.unreadable_code();
    let limit_mib = MAX_INPUT_BYTES / (1024 * 1024);
    if let Some(text) = buffer {
        // An open buffer is held to the limit a file on disk is.
        if text.len() > MAX_INPUT_BYTES {
            return Err(InputError::in_file(
                code,
                &shown,
                format!(
                    "`{shown}` is {} MiB; preflight reads files up to {limit_mib} MiB",
                    text.len() / (1024 * 1024)
                ),
            ));
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        return Ok(SourceFile::new(shown, text));
    }
    let unreadable = |e: &io::Error| {
        InputError::in_file(
            code,
            &shown,
            format!("cannot read `{shown}`: {}", io_reason(e)),
        )
    };
    // `stat` first: opening a directory works on Linux, and says nothing useful.
    let meta = fs::metadata(path).map_err(|e| unreadable(&e))?;
    if meta.is_dir() {
        return Err(InputError::in_file(
            code,
            &shown,
            format!("`{shown}` is a directory"),
        ));
    }
    let bytes = read_capped(path, MAX_INPUT_BYTES).map_err(|e| match e {
        ReadError::Io(e) => unreadable(&e),
        ReadError::Blocked(waited) => InputError::in_file(
            code,
            &shown,
            format!(
                "`{shown}` is not a regular file, and reading it did not end within {} s; preflight stopped waiting",
                waited.as_secs_f64()
            ),
        )
        .with_help("name a file, or make sure whatever writes this pipe finishes (the deadline is --timeout)"),
        ReadError::TooBig(size) => InputError::in_file(
            code,
            &shown,
            match size {
                Some(n) => format!(
                    "`{shown}` is {} MiB; preflight reads files up to {limit_mib} MiB",
                    n / (1024 * 1024)
                ),
                None => format!(
                    "`{shown}` goes on past {limit_mib} MiB; preflight reads files up to \
                     {limit_mib} MiB, so it stopped reading"
                ),
            },
        ),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        InputError::in_file(
            code,
            &shown,
            format!("`{shown}` is not UTF-8 text (first bad byte on line {line})"),
        )
        .with_help("save the file as UTF-8")
    })?;
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    Ok(SourceFile::new(shown, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::tests::scratch;

    #[cfg(unix)]
    #[test]
    fn a_path_whose_read_is_still_blocked_is_not_read_again() {
        // A device of this test's own (other tests read /dev/zero at the same time).
        let path = scratch("in-flight").join("null");
        std::os::unix::fs::symlink("/dev/null", &path).expect("symlink");
        // As if an earlier read of it were still blocked on its thread.
        lock(in_flight()).insert(path.clone());
        let again = read_capped(&path, 1024);
        lock(in_flight()).remove(&path);
        assert!(matches!(again, Err(ReadError::Blocked(_))), "{again:?}");
        // Once it is not, it is read as ever, and leaves nothing in flight.
        assert!(matches!(read_capped(&path, 1024), Ok(ref b) if b.is_empty()));
        assert!(!lock(in_flight()).contains(&path));
    }

    #[test]
    fn endless_streams_stop_at_the_cap() {
        match read_capped(Path::new("/dev/zero"), 1024) {
            Err(ReadError::TooBig(None)) => {}
            other => panic!("{other:?}"),
        }
        let dir = scratch("capped");
        let file = dir.join("f");
        fs::write(&file, vec![b'x'; 2048]).expect("write");
        assert!(matches!(
            read_capped(&file, 1024),
            Err(ReadError::TooBig(Some(2048)))
        ));
        assert_eq!(read_capped(&file, 2048).expect("fits").len(), 2048);
        let _ = fs::remove_dir_all(dir);
    }
}
