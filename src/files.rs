//! Reading the files a user names and writing the reports they ask for, safely. Every input
//! is read through a `Reader` (the disk, with the editor's open buffers in front of it), and
//! through a cap of the size limit plus one byte, so a pipe, a FIFO or `/dev/zero` gets the
//! same "too big" error as a large file and memory stays bounded; what may block (a FIFO, a
//! device) is given up on at a deadline. Every report file is written beside its target and
//! renamed into place, so a failure (a full disk) leaves the old file or none, never half a
//! report, and never over a file the run read.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

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
    remember(path);
    if meta.is_file() || meta.is_dir() {
        return read_open(path, limit);
    }
    let deadline = blocking_deadline();
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = path.to_path_buf();
    let spawned = std::thread::Builder::new()
        .name("preflight-read".into())
        .spawn(move || {
            let _ = tx.send(read_open(&owned, limit));
        });
    if let Err(e) = spawned {
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

fn file_id(path: &Path) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = fs::metadata(path).ok()?;
        Some(FileId::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        path.canonicalize().ok().map(FileId::Path)
    }
}

fn remember(path: &Path) {
    if let (Some(id), Ok(mut all)) = (file_id(path), inputs().lock()) {
        all.insert(id);
    }
}

/// Whether this process read `path` (or another name of the same file) as an input.
pub fn was_read(path: &Path) -> bool {
    match (file_id(path), inputs().lock()) {
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

/// Writes a report (or a facts file) as `write_atomic` does, but never over a file this run
/// read: `--output plan.yaml` would replace the plan with its own report.
pub fn write_report(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if was_read(path) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "it is one of the files this run read; name another file for the report",
        ));
    }
    write_atomic(path, bytes)
}

/// Writes `bytes` as the whole of `path`, all or nothing: into a new file beside it, flushed to
/// disk, then renamed over it (a symlink's target is replaced, the link kept; the old file's
/// permissions are kept). A device or FIFO (`/dev/stdout`) is written in place. On failure no
/// temporary file remains and the old file, if any, is as it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            ));
        }
        Ok(meta) if !meta.is_file() => {
            let mut target = fs::OpenOptions::new().write(true).open(path)?;
            target.write_all(bytes)?;
            return target.flush();
        }
        _ => {}
    }
    let target = real_target(path)?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(
        ".{name}.preflight-{}.tmp",
        uuid::Uuid::new_v4().simple()
    ));
    let written = write_new(&temp, bytes, fs::metadata(&target).ok())
        .and_then(|()| fs::rename(&temp, &target));
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Where a path really leads: a symlink's target (made absolute against its directory), else
/// the path itself. A chain of more than 40 links (a loop) is an error, as the system says.
fn real_target(path: &Path) -> io::Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        let is_link = fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            return Ok(at);
        }
        at = match fs::read_link(&at) {
            Ok(to) if to.is_absolute() => to,
            Ok(to) => at.parent().unwrap_or(Path::new(".")).join(to),
            Err(_) => return Ok(at),
        };
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Creates `temp` (which must not exist), writes and syncs it: a full disk shows here, not
/// after the rename. It takes the permissions of the file it will replace.
fn write_new(temp: &Path, bytes: &[u8], replacing: Option<fs::Metadata>) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    if let Some(old) = replacing {
        file.set_permissions(old.permissions())?;
        // The owner too, where the process may give it (root): a fix run as root must not
        // leave the user's plan owned by root. Elsewhere the file was the user's anyway.
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let _ = std::os::unix::fs::fchown(&file, Some(old.uid()), Some(old.gid()));
        }
    }
    Ok(())
}

/// An I/O error in words, without "(os error 2)".
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// The nearest directory from `start` (absolute) up that holds one of `markers` (`.git`):
/// the repository root that reports, hooks and the language server measure from.
pub fn nearest_with(start: &Path, markers: &[&str]) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| markers.iter().any(|m| d.join(m).exists()))
        .map(Path::to_path_buf)
}

/// `a/./b/../c` → `a/c`, without touching the file system (so paths stay as the user wrote
/// them, relative where they were relative); `examples/basic/../..` is `.`, and `..` that
/// climbs above the start is kept.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("preflight-{label}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("dir");
        dir
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

    #[test]
    fn a_report_replaces_the_file_whole_and_keeps_links_and_modes() {
        let dir = scratch("atomic");
        let real = dir.join("real.sarif");
        fs::write(&real, "old").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).expect("chmod");
            std::os::unix::fs::symlink("real.sarif", dir.join("link.sarif")).expect("link");
            write_atomic(&dir.join("link.sarif"), b"new").expect("writes");
            assert_eq!(fs::read_to_string(&real).expect("read"), "new");
            assert!(
                fs::symlink_metadata(dir.join("link.sarif"))
                    .expect("link")
                    .file_type()
                    .is_symlink(),
                "the link stays a link"
            );
            let mode = fs::metadata(&real).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
        }
        write_atomic(&dir.join("fresh.json"), b"{}").expect("writes");
        assert_eq!(
            fs::read_to_string(dir.join("fresh.json")).expect("read"),
            "{}"
        );
        let names: Vec<_> = fs::read_dir(&dir)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(names.is_empty(), "no temporary file left: {names:?}");
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_failed_write_leaves_no_temporary_file() {
        let dir = scratch("atomic-fail");
        // A directory is not a report file to replace.
        fs::create_dir_all(dir.join("out.json").join("inside")).expect("dir");
        assert!(write_atomic(&dir.join("out.json"), b"x").is_err());
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, ["out.json"]);
        // A device is written in place; a full one is an error, not a partial success.
        assert!(write_atomic(Path::new("/dev/full"), b"x").is_err());
        let _ = fs::remove_dir_all(dir);
    }
}
