//! Where report paths are relative to. Findings name files as the user wrote them (relative to
//! the working directory); code scanning, annotations and merge-request widgets want them
//! relative to the repository root, and SARIF wants them as RFC 3986 URI references.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::files::normalize;

/// The repository root, and the working directory the shown paths are relative to.
#[derive(Debug)]
pub struct Root {
    dir: PathBuf,
    cwd: PathBuf,
    /// `relative` by shown path: a report asks once per finding, for a few files.
    known: Mutex<HashMap<String, Option<String>>>,
}

impl Clone for Root {
    fn clone(&self) -> Self {
        Root {
            dir: self.dir.clone(),
            cwd: self.cwd.clone(),
            known: Mutex::new(HashMap::new()),
        }
    }
}

impl Root {
    /// `dir` and `cwd` may be relative; both are made absolute against the process's working
    /// directory, and resolved through symbolic links where they exist.
    pub fn new(dir: &Path, cwd: &Path) -> Root {
        Root {
            dir: absolute(dir),
            cwd: absolute(cwd),
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The nearest directory from `cwd` up that holds `.git`, else `cwd` itself.
    pub fn discover(cwd: &Path) -> Root {
        let cwd = absolute(cwd);
        let dir = crate::files::nearest_with(&cwd, &[".git"]).unwrap_or_else(|| cwd.clone());
        Root {
            dir,
            cwd,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// `shown` (relative to the working directory, or absolute) relative to the root, with
    /// `/` between parts; `None` when the file is outside the root.
    pub fn relative(&self, shown: &str) -> Option<String> {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known
            .entry(shown.to_string())
            .or_insert_with(|| self.find_relative(shown))
            .clone()
    }

    fn find_relative(&self, shown: &str) -> Option<String> {
        let path = self.absolute_of(shown);
        let rest = path.strip_prefix(&self.dir).ok()?;
        let parts: Vec<String> = rest
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(parts.join("/"))
    }

    /// `shown` as an absolute path.
    pub fn absolute_of(&self, shown: &str) -> PathBuf {
        let joined = normalize(&self.cwd.join(shown));
        std::fs::canonicalize(&joined).unwrap_or(joined)
    }

    /// The root as a `file://` URI ending in `/`, as SARIF's `originalUriBaseIds` wants it.
    pub fn uri(&self) -> String {
        let mut uri = file_uri(&self.dir);
        if !uri.ends_with('/') {
            uri.push('/');
        }
        uri
    }

    /// A path as a URI reference: relative to the root when it lies below it (`Ok`), else an
    /// absolute `file://` URI (`Err`).
    pub fn uri_of(&self, shown: &str) -> Result<String, String> {
        match self.relative(shown) {
            Some(rel) => Ok(encode_path(&rel)),
            None => Err(file_uri(&self.absolute_of(shown))),
        }
    }
}

/// What RFC 3986 lets stand in a path: unreserved, sub-delims, `:`, `@` and `/`. Everything
/// else (a space, `%`, `#`, `?`, brackets, non-ASCII) is percent-encoded as UTF-8.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A relative path (with `/` separators) as a URI path.
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

/// An absolute path as a `file://` URI.
pub fn file_uri(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(p) => Some(encode_path(&p.to_string_lossy())),
            _ => None,
        })
        .collect();
    format!("file:///{}", parts.join("/"))
}

fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let joined = normalize(&joined);
    std::fs::canonicalize(&joined).unwrap_or(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded_as_rfc_3986_asks() {
        assert_eq!(
            encode_path("infra/my plan%1.yaml"),
            "infra/my%20plan%251.yaml"
        );
        assert_eq!(encode_path("a#b?c[d]"), "a%23b%3Fc%5Bd%5D");
        assert_eq!(encode_path("é/x+y=z,@:!"), "%C3%A9/x+y=z,@:!");
        assert_eq!(
            file_uri(Path::new("/home/a b/repo")),
            "file:///home/a%20b/repo"
        );
    }

    #[test]
    fn files_below_the_root_are_relative_to_it_and_others_absolute() {
        let root = Root::new(
            Path::new("/nonexistent-root/repo"),
            Path::new("/nonexistent-root/repo/infra"),
        );
        assert_eq!(
            root.relative("plan.yaml").as_deref(),
            Some("infra/plan.yaml")
        );
        assert_eq!(root.relative("../main.tf").as_deref(), Some("main.tf"));
        assert_eq!(root.relative("../../elsewhere.yaml"), None);
        assert_eq!(
            root.uri_of("../../elsewhere.yaml"),
            Err("file:///nonexistent-root/elsewhere.yaml".to_string())
        );
        assert_eq!(root.uri(), "file:///nonexistent-root/repo/");
    }
}
