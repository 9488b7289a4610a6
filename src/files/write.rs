//! Writing reports and fixes: into a new file beside the target, flushed, then renamed into
//! place, so a failure (a full disk) leaves the old file or none; a report never over a file
//! the run read, never through a loop of links.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::was_read;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::tests::scratch;

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
