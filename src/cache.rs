//! The on-disk cache of the clouds' answers, so a second run of the same plans within the
//! time-to-live (15 minutes by default) asks nothing. One file per request, named by a hash of
//! the cloud, the endpoint, the access key id (itself hashed) and the unsigned request; it holds
//! the answer only: never a secret, never a signature. Failed answers are not cached.
//!
//! An answer in the cache decides a verdict as a cloud's answer would, so the cache is the
//! user's alone: the directory is made 0700 and entries 0600, and a directory that is not the
//! user's or that group or others can write (judged through symlinks, as ssh judges `~/.ssh`) is
//! not used at all. The directory is marked with a `CACHEDIR.TAG` (so backup tools skip it), and
//! preflight prunes only files named as its entries, only in a tagged directory: pointed at a
//! directory of the user's own files, it refuses to keep its cache there rather than touch them.
//! What goes wrong is said once, as a warning; a run without the cache is only slower.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);

/// The Cache Directory Tagging convention's file and signature (<https://bford.info/cachedir/>).
pub const TAG_FILE: &str = "CACHEDIR.TAG";
const TAG_SIGNATURE: &str = "Signature: 8a477f597d28d172789f06886806bc55";
const OUR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by preflight.\n\
# For information about cache directory tags, see https://bford.info/cachedir/\n";

/// No entry is larger: answers are capped at 8 MiB.
const MAX_ENTRY_BYTES: u64 = 9 * 1024 * 1024;

/// A cached answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stored {
    Json(serde_json::Value),
    NotFound(String),
}

#[derive(Serialize, Deserialize)]
struct Entry {
    /// Unix seconds.
    stored_at: i64,
    /// For people looking in the directory.
    operation: String,
    answer: Stored,
}

#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    ttl: Duration,
    /// False with `--refresh`: answers are written, never read.
    read: bool,
    shared: Arc<Shared>,
}

/// What every clone of one cache shares: whether the directory may be used, and the warnings.
#[derive(Debug, Default)]
struct Shared {
    usable: OnceLock<bool>,
    write_failed: AtomicBool,
    warnings: Mutex<Vec<String>>,
}

impl Cache {
    pub fn new(dir: PathBuf, ttl: Duration, read: bool) -> Cache {
        Cache {
            dir,
            ttl,
            read,
            shared: Arc::default(),
        }
    }

    /// `PREFLIGHT_CACHE_DIR`, else the platform cache directory (`~/.cache/preflight` on Linux).
    pub fn default_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        if let Some(dir) = env("PREFLIGHT_CACHE_DIR").filter(|d| !d.trim().is_empty()) {
            return Some(PathBuf::from(dir));
        }
        use etcetera::AppStrategy;
        etcetera::choose_app_strategy(etcetera::AppStrategyArgs {
            top_level_domain: "dev".to_string(),
            author: "preflight".to_string(),
            app_name: "preflight".to_string(),
        })
        .ok()
        .map(|s| s.cache_dir())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The same directory, time-to-live and shared state, read or not (`--refresh`).
    pub fn with(&self, ttl: Duration, read: bool) -> Cache {
        Cache {
            ttl,
            read,
            ..self.clone()
        }
    }

    /// The file name for a request.
    pub fn key(parts: &[&[u8]]) -> String {
        let mut joined = Vec::new();
        for p in parts {
            joined.extend_from_slice(&(p.len() as u64).to_le_bytes());
            joined.extend_from_slice(p);
        }
        // The cache hashes for itself: it sits below the clouds, which use it.
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&joined))
    }

    /// A fresh answer for `key`; a missing, expired, truncated or unreadable entry is a miss.
    pub fn get(&self, key: &str, now: i64) -> Option<Stored> {
        if !self.read || !self.usable() {
            return None;
        }
        let mut bytes = Vec::new();
        fs::File::open(self.path(key))
            .ok()?
            .take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        let age = now.saturating_sub(entry.stored_at);
        (age >= 0 && (age as u64) < self.ttl.as_secs()).then_some(entry.answer)
    }

    /// Keeps an answer. A cache that cannot be written only makes the next run slower: the
    /// first failure is a warning, and no temporary file is left behind.
    pub fn put(&self, key: &str, operation: &str, answer: &Stored, now: i64) {
        if !self.usable() {
            return;
        }
        let entry = Entry {
            stored_at: now,
            operation: operation.to_string(),
            answer: answer.clone(),
        };
        let Ok(text) = serde_json::to_vec(&entry) else {
            return;
        };
        // Write aside, then rename: a reader never sees half a file.
        let temp = self
            .dir
            .join(format!(".{key}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let written = write_private(&temp, &text).and_then(|()| fs::rename(&temp, self.path(key)));
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            if !self.shared.write_failed.swap(true, Ordering::Relaxed) {
                self.warn(format!(
                    "cannot write to the cache `{}`: {}; later runs will ask the clouds again",
                    self.dir.display(),
                    crate::files::io_reason(&e)
                ));
            }
        }
    }

    /// Removes entries (and abandoned temporary files) older than the time-to-live, so the
    /// directory does not grow without end. Only files named as preflight names its own, and
    /// only in a directory it may use. Best effort.
    pub fn prune(&self) {
        if !self.usable() {
            return;
        }
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let now = std::time::SystemTime::now();
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !name.to_str().is_some_and(is_ours) {
                continue;
            }
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > self.ttl);
            if old {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// What went wrong with the cache in this run, each said once; taken, so said once.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(
            &mut self
                .shared
                .warnings
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Whether the directory may be used: judged once per run (made if missing).
    fn usable(&self) -> bool {
        *self.shared.usable.get_or_init(|| match open(&self.dir) {
            Ok(()) => true,
            Err(why) => {
                self.warn(format!("not using the cache: {why}"));
                false
            }
        })
    }

    fn warn(&self, message: String) {
        self.shared
            .warnings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(message);
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }
}

/// Makes the directory if it is missing (0700, tagged), then decides whether it is one the
/// cache may live in.
fn open(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    if fs::symlink_metadata(dir).is_err() {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot make `{shown}`: {}", crate::files::io_reason(&e)))?;
        }
        match private_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(format!(
                    "cannot make `{shown}`: {}",
                    crate::files::io_reason(&e)
                ));
            }
        }
    }
    let meta =
        fs::metadata(dir).map_err(|e| format!("`{shown}`: {}", crate::files::io_reason(&e)))?;
    if !meta.is_dir() {
        return Err(format!("`{shown}` is not a directory"));
    }
    judge(&meta).map_err(|why| {
        format!(
            "`{shown}` {why}, so others could plant answers that change the verdict; make it \
             yours alone (chmod 700) or point PREFLIGHT_CACHE_DIR at a directory of your own"
        )
    })?;
    match tag_of(dir) {
        Some(tag) => {
            if tag.contains("created by preflight") {
                tighten(dir, &meta);
            }
            Ok(())
        }
        None if only_entries(dir) => {
            write_private(&dir.join(TAG_FILE), OUR_TAG.as_bytes())
                .map_err(|e| format!("cannot tag `{shown}`: {}", crate::files::io_reason(&e)))?;
            tighten(dir, &meta);
            Ok(())
        }
        None => Err(format!(
            "`{shown}` holds files that are not preflight's and has no {TAG_FILE}, so it is not \
             a cache directory; preflight will not keep its cache among other files. Point \
             PREFLIGHT_CACHE_DIR at a directory of its own"
        )),
    }
}

/// Refuses a directory that is not the user's, or that group or others can write.
#[cfg(unix)]
fn judge(meta: &fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    judge_owner(meta.uid(), meta.mode(), me)
}

#[cfg(not(unix))]
fn judge(_meta: &fs::Metadata) -> Result<(), String> {
    Ok(())
}

/// The rule `judge` applies, on plain numbers (for the tests).
pub fn judge_owner(owner: u32, mode: u32, me: u32) -> Result<(), String> {
    if owner != me {
        return Err(format!("belongs to user {owner}, not to you (user {me})"));
    }
    let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => "group and others",
        (true, false) => "its group",
        (false, true) => "others",
        (false, false) => return Ok(()),
    };
    Err(format!(
        "can be written by {who} (mode {:o})",
        mode & 0o7777
    ))
}

/// The tag's text, when the directory has a valid one.
fn tag_of(dir: &Path) -> Option<String> {
    let mut text = String::new();
    fs::File::open(dir.join(TAG_FILE))
        .ok()?
        .take(4096)
        .read_to_string(&mut text)
        .ok()?;
    text.starts_with(TAG_SIGNATURE).then_some(text)
}

/// Whether every file in the directory is one preflight made (an earlier version's untagged
/// cache); an empty directory qualifies.
fn only_entries(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries
        .flatten()
        .all(|e| e.file_name().to_str().is_some_and(is_ours))
}

/// `<64 hex>.json` (an entry) or `.<64 hex>.<32 hex>.tmp` (one being written).
fn is_ours(name: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(key) = name.strip_suffix(".json") {
        return hex(key, 64);
    }
    name.strip_prefix('.')
        .and_then(|n| n.strip_suffix(".tmp"))
        .and_then(|n| n.split_once('.'))
        .is_some_and(|(key, nonce)| hex(key, 64) && hex(nonce, 32))
}

#[cfg(unix)]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new().mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir(dir)
}

/// A directory preflight made and owns: nobody else needs to look inside.
fn tighten(dir: &Path, meta: &fs::Metadata) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, meta);
}

/// Writes a new file only the user can read (0600); fails if it exists.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("preflight-{label}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn answers_live_for_the_ttl_only() {
        let dir = scratch("cache");
        let cache = Cache::new(dir.clone(), Duration::from_secs(60), true);
        let key = Cache::key(&[b"jdcloud", b"https://x/v1?ids.1=a"]);
        let answer = Stored::Json(serde_json::json!({"result": {}}));
        cache.put(&key, "describeImages", &answer, 1_000);
        assert_eq!(cache.get(&key, 1_030), Some(answer.clone()));
        assert_eq!(cache.get(&key, 1_060), None, "expired");
        let refreshing = cache.with(Duration::from_secs(60), false);
        assert_eq!(refreshing.get(&key, 1_030), None, "--refresh never reads");
        assert!(cache.take_warnings().is_empty());
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn prune_removes_only_expired_entries_and_never_other_files() {
        let dir = scratch("prune");
        let cache = Cache::new(dir.clone(), Duration::from_secs(3600), true);
        let key = "a".repeat(64);
        cache.put(&key, "op", &Stored::NotFound(String::new()), 0);
        let entry = dir.join(format!("{key}.json"));
        assert!(entry.exists());
        // Files a user (or another tool) put in a tagged directory, old ones too.
        for name in ["notes.txt", "package.json", "short.json", ".hidden.tmp"] {
            fs::write(dir.join(name), "not ours").expect("write");
        }
        cache.prune();
        assert!(entry.exists(), "young entries stay");
        let expired = Cache::new(dir.clone(), Duration::ZERO, true);
        std::thread::sleep(Duration::from_millis(20));
        expired.prune();
        assert!(!entry.exists(), "expired entries go");
        for name in [
            "notes.txt",
            "package.json",
            "short.json",
            ".hidden.tmp",
            TAG_FILE,
        ] {
            assert!(dir.join(name).exists(), "{name} is not an entry and stays");
        }
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn names_of_our_own_files() {
        let key = "0123456789abcdef".repeat(4);
        assert!(is_ours(&format!("{key}.json")));
        assert!(is_ours(&format!(".{key}.{}.tmp", "f".repeat(32))));
        assert!(!is_ours("package.json"));
        assert!(!is_ours("tfplan.json"));
        assert!(!is_ours(&format!("{}.json", "g".repeat(64))));
        assert!(!is_ours(&format!(".{key}.tmp")));
        assert!(!is_ours(TAG_FILE));
    }

    #[test]
    fn only_the_users_own_unshared_directories_are_used() {
        assert!(judge_owner(1000, 0o40700, 1000).is_ok());
        assert!(
            judge_owner(1000, 0o40755, 1000).is_ok(),
            "readable is not writable"
        );
        let foreign = judge_owner(0, 0o40700, 1000).expect_err("another user's");
        assert!(foreign.contains("belongs to user 0"), "{foreign}");
        let group = judge_owner(1000, 0o40770, 1000).expect_err("group-writable");
        assert!(
            group.contains("its group") && group.contains("770"),
            "{group}"
        );
        let all = judge_owner(1000, 0o41777, 1000).expect_err("world-writable");
        assert!(all.contains("group and others"), "{all}");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_cache_is_private_and_tagged() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("private").join("nested").join("cache");
        let cache = Cache::new(dir.clone(), DEFAULT_TTL, true);
        let key = "b".repeat(64);
        cache.put(&key, "op", &Stored::NotFound(String::new()), 0);
        let mode = |p: &Path| fs::metadata(p).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(format!("{key}.json"))), 0o600);
        assert!(tag_of(&dir).is_some(), "tagged");
        let _ = fs::remove_dir_all(dir.parent().and_then(Path::parent).expect("scratch"));
    }

    #[test]
    fn a_directory_of_other_files_is_refused_and_left_alone() {
        let dir = scratch("refused");
        fs::create_dir_all(&dir).expect("dir");
        fs::write(dir.join("tfplan.json"), "{}").expect("write");
        let cache = Cache::new(dir.clone(), Duration::ZERO, true);
        cache.prune();
        cache.put(&"c".repeat(64), "op", &Stored::NotFound(String::new()), 0);
        let warnings = cache.take_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("not preflight's"), "{warnings:?}");
        let names: Vec<_> = fs::read_dir(&dir)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["tfplan.json"], "nothing added, nothing removed");
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_truncated_entry_is_a_miss() {
        let dir = scratch("truncated");
        let cache = Cache::new(dir.clone(), DEFAULT_TTL, true);
        let key = "d".repeat(64);
        cache.put(&key, "op", &Stored::NotFound("x".into()), 0);
        fs::write(dir.join(format!("{key}.json")), "{\"stored_at\": 0, \"ans").expect("write");
        assert_eq!(cache.get(&key, 1), None);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn keys_separate_their_parts() {
        assert_ne!(Cache::key(&[b"ab", b"c"]), Cache::key(&[b"a", b"bc"]));
    }
}
