//! The on-disk cache of the clouds' answers, so a second run of the same plans within the
//! time-to-live (15 minutes by default) asks nothing. One file per request, named by a hash of
//! the cloud, the endpoint, the access key id (itself hashed) and the unsigned request; it holds
//! the answer only: never a secret, never a signature. Failed answers are not cached.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clouds::sign::sha256_hex;

pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);

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
}

impl Cache {
    pub fn new(dir: PathBuf, ttl: Duration, read: bool) -> Cache {
        Cache { dir, ttl, read }
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

    /// The file name for a request.
    pub fn key(parts: &[&[u8]]) -> String {
        let mut joined = Vec::new();
        for p in parts {
            joined.extend_from_slice(&(p.len() as u64).to_le_bytes());
            joined.extend_from_slice(p);
        }
        sha256_hex(&joined)
    }

    pub fn get(&self, key: &str, now: i64) -> Option<Stored> {
        if !self.read {
            return None;
        }
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        let entry: Entry = serde_json::from_str(&text).ok()?;
        let age = now.saturating_sub(entry.stored_at);
        (age >= 0 && (age as u64) < self.ttl.as_secs()).then_some(entry.answer)
    }

    /// Best effort: a cache that cannot be written only makes the next run slower.
    pub fn put(&self, key: &str, operation: &str, answer: &Stored, now: i64) {
        let entry = Entry {
            stored_at: now,
            operation: operation.to_string(),
            answer: answer.clone(),
        };
        let Ok(text) = serde_json::to_vec(&entry) else {
            return;
        };
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        // Write aside, then rename: a reader never sees half a file.
        let temp = self
            .dir
            .join(format!(".{key}.{}.tmp", uuid::Uuid::new_v4().simple()));
        if std::fs::write(&temp, text).is_ok() && std::fs::rename(&temp, self.path(key)).is_err() {
            let _ = std::fs::remove_file(&temp);
        }
    }

    /// Removes entries (and abandoned temporary files) older than the time-to-live, so the
    /// directory does not grow without end. Best effort.
    pub fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let now = std::time::SystemTime::now();
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > self.ttl);
            let ours = entry.file_name().to_string_lossy().ends_with(".json")
                || entry.file_name().to_string_lossy().ends_with(".tmp");
            if old && ours {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_live_for_the_ttl_only() {
        let dir = std::env::temp_dir().join(format!("preflight-cache-{}", std::process::id()));
        let cache = Cache::new(dir.clone(), Duration::from_secs(60), true);
        let key = Cache::key(&[b"jdcloud", b"https://x/v1?ids.1=a"]);
        let answer = Stored::Json(serde_json::json!({"result": {}}));
        cache.put(&key, "describeImages", &answer, 1_000);
        assert_eq!(cache.get(&key, 1_030), Some(answer.clone()));
        assert_eq!(cache.get(&key, 1_060), None, "expired");
        let refreshing = Cache::new(dir.clone(), Duration::from_secs(60), false);
        assert_eq!(refreshing.get(&key, 1_030), None, "--refresh never reads");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn prune_removes_only_expired_entries() {
        let dir = std::env::temp_dir().join(format!("preflight-prune-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cache = Cache::new(dir.clone(), Duration::from_secs(3600), true);
        cache.put("fresh", "op", &Stored::NotFound(String::new()), 0);
        std::fs::write(dir.join("notes.txt"), "not ours").expect("write");
        cache.prune();
        assert!(dir.join("fresh.json").exists(), "young entries stay");
        let expired = Cache::new(dir.clone(), Duration::ZERO, true);
        std::thread::sleep(Duration::from_millis(20));
        expired.prune();
        assert!(!dir.join("fresh.json").exists(), "expired entries go");
        assert!(
            dir.join("notes.txt").exists(),
            "files that are not entries stay"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn keys_separate_their_parts() {
        assert_ne!(Cache::key(&[b"ab", b"c"]), Cache::key(&[b"a", b"bc"]));
    }
}
