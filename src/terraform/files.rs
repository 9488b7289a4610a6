//! Terraform's files on disk: listing a module's `.tf` files, reading one with hcl-edit (so
//! every block and value keeps its byte span), and the paths findings show, relative to the
//! working directory and without `../` detours where a file lies below it.

use std::path::{Path, PathBuf};

pub use crate::files::normalize;

use hcl_edit::structure::Body;

use crate::error::{self, InputError};
use crate::files::Reader;
use crate::source::SourceFile;

/// One HCL file (`.tf` or `.tfvars`), parsed.
pub struct TfFile {
    pub source: SourceFile,
    pub body: Body,
}

/// Whether `dir` holds `.tf` (or OpenTofu's `.tofu`) files.
pub fn has_tf_files(dir: &Path, reader: Reader) -> bool {
    !files_in(dir, reader, is_config).is_empty()
}

/// Whether a file name is Terraform configuration in native syntax: `.tf`, or OpenTofu's
/// `.tofu`.
pub fn is_config(name: &str) -> bool {
    name.ends_with(".tf") || name.ends_with(".tofu")
}

/// The configuration files OpenTofu reads of `paths`: a `.tofu` file replaces the `.tf` (and
/// a `.tofu.json` the `.tf.json`) of the same name, which is then not read.
pub fn without_replaced(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    paths
        .into_iter()
        .zip(&names)
        .filter(|(_, name)| {
            let twin = if let Some(stem) = name.strip_suffix(".tf") {
                format!("{stem}.tofu")
            } else if let Some(stem) = name.strip_suffix(".tf.json") {
                format!("{stem}.tofu.json")
            } else {
                return true;
            };
            !names.contains(&twin)
        })
        .map(|(p, _)| p)
        .collect()
}

/// The files directly in `dir` whose names `keep` accepts, sorted, as `dir/name` (so an empty
/// `dir`, the current directory, gives bare names); none when `dir` cannot be listed.
pub fn files_in(dir: &Path, reader: Reader, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    try_files_in(dir, reader, keep).unwrap_or_default()
}

/// As `files_in`, but a directory that cannot be listed is an error. Anything that is not a
/// directory counts as a file (a FIFO, a broken link): reading it says what is wrong with
/// it, where skipping it would pass over it in silence.
pub fn try_files_in(
    dir: &Path,
    reader: Reader,
    keep: impl Fn(&str) -> bool,
) -> std::io::Result<Vec<PathBuf>> {
    let read = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let listed = match std::fs::read_dir(read) {
        Ok(entries) => entries,
        // A directory only the editor knows (a new, unsaved module) has its overlay files.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(with_buffers(dir, reader, &keep, Vec::new()));
        }
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in listed {
        let entry = entry?;
        let keep_it = entry.file_name().to_str().is_some_and(&keep);
        if keep_it && !std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()) {
            files.push(dir.join(entry.file_name()));
        }
    }
    Ok(with_buffers(dir, reader, &keep, files))
}

/// `files` with the editor's unsaved buffers in `dir`, sorted.
fn with_buffers(
    dir: &Path,
    reader: Reader,
    keep: &impl Fn(&str) -> bool,
    mut files: Vec<PathBuf>,
) -> Vec<PathBuf> {
    for open in reader.buffers_in(dir) {
        let keep_it = open.file_name().and_then(|n| n.to_str()).is_some_and(keep);
        if keep_it && !files.contains(&open) {
            files.push(open);
        }
    }
    files.sort();
    files
}

/// Reads and parses one HCL file; a syntax error is an input error at its spot.
pub fn read_hcl(path: &Path, reader: Reader, errors: &mut Vec<InputError>) -> Option<TfFile> {
    let source = match reader.read_source(path, error::Kind::Plan) {
        Ok(source) => source,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    match super::recover::parse(&source) {
        Ok(body) => Some(TfFile { source, body }),
        Err(mut found) => {
            errors.append(&mut found);
            None
        }
    }
}

/// `.` for the empty path (a file's parent when it has none).
pub fn dir_or_cwd(dir: &Path) -> &Path {
    if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }
}

/// A path as findings show it: normalized, without a leading `./`.
pub fn shown(path: &Path) -> String {
    let normal = normalize(path);
    let s = normal.display().to_string();
    let s = s.strip_prefix("./").unwrap_or(&s).to_string();
    if s.is_empty() { ".".to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_lose_their_detours_and_keep_climbs() {
        assert_eq!(normalize(Path::new("examples/basic/../..")), Path::new("."));
        assert_eq!(shown(Path::new("examples/basic/../../main.tf")), "main.tf");
        assert_eq!(shown(Path::new("./a/./b/../c.tf")), "a/c.tf");
        assert_eq!(shown(Path::new("../../main.tf")), "../../main.tf");
        assert_eq!(shown(Path::new("a/../../b")), "../b");
        assert_eq!(shown(Path::new("")), ".");
    }
}
