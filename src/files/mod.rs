//! Reading the files a user names and writing the reports they ask for, safely. Every input
//! is read through a `Reader` (the disk, with the editor's open buffers in front of it), and
//! through a cap of the size limit plus one byte, so a pipe, a FIFO or `/dev/zero` gets the
//! same "too big" error as a large file and memory stays bounded; what may block (a FIFO, a
//! device) is given up on at a deadline. Every report file is written beside its target and
//! renamed into place, so a failure (a full disk) leaves the old file or none, never half a
//! report, and never over a file the run read.
//!
//! `read` holds the reading (`Reader`, the cap, the deadline, what was read), `write` the
//! writing; here are the path helpers both use.

mod read;
mod write;

use std::io;
use std::path::{Component, Path, PathBuf};

pub use read::{
    MAX_INPUT_BYTES, Overlay, ReadError, Reader, overlay_key, read_capped, set_blocking_deadline,
    was_read,
};
pub use write::{write_atomic, write_report};

/// Whether a directory walk passes over a directory of this name: hidden ones (`.git`,
/// `.terraform`, `.terragrunt-cache`), but not the units Terragrunt generates
/// (`.terragrunt-stack/`).
pub fn skipped_dir(name: &str) -> bool {
    name.starts_with('.') && name != ".terragrunt-stack"
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

/// `dir` relative to the working directory, as `..` steps when it is above it.
pub fn relative_to_cwd(dir: &Path) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?.canonicalize().ok()?;
    if let Ok(below) = dir.strip_prefix(&cwd) {
        return Some(if below.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            below.to_path_buf()
        });
    }
    let mut up = PathBuf::new();
    let mut base = cwd.as_path();
    while let Some(parent) = base.parent() {
        up.push("..");
        if let Ok(rest) = dir.strip_prefix(parent) {
            return Some(up.join(rest));
        }
        base = parent;
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::PathBuf;

    /// A fresh directory for one test.
    pub fn scratch(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("preflight-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }
}
