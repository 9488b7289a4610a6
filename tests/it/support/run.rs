//! Runs the real binary the way a user would: in a directory of its own, with only the
//! environment a test gives it, and reads what it printed.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// What one run of the binary left.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    /// (entry, rule) of every finding.
    pub fn findings(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self.json()["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| {
                (
                    d["entry"].as_str().unwrap_or("").to_string(),
                    d["rule"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        v.sort();
        v
    }

    /// The finding of `rule` about `entry`, as the JSON report has it.
    pub fn diagnostic(&self, entry: &str, rule: &str) -> Value {
        self.json()["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .find(|d| d["entry"] == entry && d["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} for {entry}: {}", self.stdout))
            .clone()
    }

    /// The message of the finding `rule` at `entry` (panics, with the report, when there is
    /// none).
    pub fn message(&self, entry: &str, rule: &str) -> String {
        self.diagnostic(entry, rule)["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The `unverified` message of an entry, or empty.
    pub fn reason(&self, entry: &str) -> String {
        self.json()["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .find(|d| d["entry"] == entry && d["rule"] == "unverified")
            .and_then(|d| d["message"].as_str())
            .unwrap_or("")
            .to_string()
    }
}

/// (entry, rule) pairs, sorted as `Run::findings` sorts them.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    v.sort();
    v
}

/// A fresh, empty directory under the system's temporary directory.
pub fn scratch(label: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "preflight-{label}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs the binary in a fresh directory holding `files`, with `env` only; the directory is
/// removed afterwards.
pub async fn run_with(files: &[(&str, &str)], env: Vec<(String, String)>, args: &[&str]) -> Run {
    let dir = scratch("e2e");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("input file");
    }
    let run = run_in(&dir, env, args, Limits::default()).await;
    let _ = std::fs::remove_dir_all(&dir);
    run
}

/// Limits the operating system puts on the run.
#[derive(Default, Clone, Copy)]
pub struct Limits {
    /// The largest file the run may write (`RLIMIT_FSIZE`): past it, writes fail with
    /// EFBIG, as they fail on a full disk.
    pub file_size: Option<u64>,
    /// The address space the run may have (`RLIMIT_AS`): past it, an allocation fails and
    /// the process aborts, so a run that ends within it is bounded.
    pub memory: Option<u64>,
    /// Run as `nobody` when the tests run as root, so file modes bind (root reads a
    /// directory of mode 000).
    pub unprivileged: bool,
}

/// The binary, run in `dir` with `env` only, under `limits`, as a user runs it: no
/// credentials, endpoints or config files from the machine.
pub fn command(
    dir: &Path,
    env: Vec<(String, String)>,
    args: &[&str],
    limits: Limits,
) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_preflight"));
    command.args(args);
    hermetic(&mut command, dir, env);
    if let Some(bytes) = limits.file_size {
        limit_file_size(&mut command, bytes);
    }
    if let Some(bytes) = limits.memory {
        limit(&mut command, libc::RLIMIT_AS, bytes);
    }
    if limits.unprivileged {
        unprivileged(&mut command);
    }
    command
}

/// The one environment every run of the binary gets: nothing of the machine's, a home with
/// no CLI config files, no colour, and a cache of its own under `dir` unless `env` names one
/// (it comes later and wins).
pub fn hermetic(command: &mut std::process::Command, dir: &Path, env: Vec<(String, String)>) {
    command
        .current_dir(dir)
        .env_clear()
        .env("HOME", "/nonexistent-preflight-home")
        .env("NO_COLOR", "1")
        .env("PREFLIGHT_CACHE_DIR", dir.join("cache"))
        .envs(env);
}

/// A directory the binary runs in: a scratch one with the files a test writes, or one of the
/// repository's (a golden case), where a run must leave nothing (no cache).
pub struct Project {
    pub dir: PathBuf,
    own: bool,
}

impl Project {
    /// A fresh scratch directory.
    pub fn new(label: &str) -> Project {
        Project {
            dir: scratch(label),
            own: true,
        }
    }

    /// A directory of the repository, as it is.
    pub fn at(dir: impl Into<PathBuf>) -> Project {
        Project {
            dir: dir.into(),
            own: false,
        }
    }

    /// Writes `text` to `name` (directories made as needed).
    pub fn file(&self, name: &str, text: &str) -> &Project {
        let path = self.dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(path, text).expect("write");
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The binary with `args`, hermetic, with `env` added.
    pub fn command(&self, env: Vec<(String, String)>, args: &[&str]) -> std::process::Command {
        let mut all = Vec::new();
        if !self.own {
            all.push((
                "PREFLIGHT_CACHE_DIR".to_string(),
                "/nonexistent-preflight-home/cache".to_string(),
            ));
        }
        all.extend(env);
        command(&self.dir, all, args, Limits::default())
    }

    /// Runs the binary with `args` and waits for it.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(
            self.command(Vec::new(), args)
                .output()
                .expect("binary runs"),
        )
    }
}

/// Runs the binary in `dir` with `env` only, and waits for it.
pub fn run_sync(dir: &Path, env: Vec<(String, String)>, args: &[&str], limits: Limits) -> Run {
    Run::of(
        command(dir, env, args, limits)
            .output()
            .expect("binary runs"),
    )
}

/// Runs the binary in `dir` with `env` only. Each run has a cache of its own under `dir`
/// unless `env` names `PREFLIGHT_CACHE_DIR` (it comes later and wins): a cache shared across
/// tests would let a reused loopback port answer past an injected fault.
pub async fn run_in(dir: &Path, env: Vec<(String, String)>, args: &[&str], limits: Limits) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let cwd = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_sync(&cwd, env, &args, limits)
    })
    .await
    .expect("join")
}

/// Whether the tests run as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn unprivileged(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    if is_root() {
        command.uid(65534).gid(65534);
    }
}

fn limit(command: &mut std::process::Command, resource: libc::__rlimit_resource_t, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only async-signal-safe calls (setrlimit) run.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(resource, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

fn limit_file_size(command: &mut std::process::Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only async-signal-safe calls (signal, setrlimit) run.
    unsafe {
        command.pre_exec(move || {
            // Ignored, SIGXFSZ does not kill the process: the write fails with EFBIG instead,
            // and the ignoring survives exec.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// A loopback address that refuses connections and stays so: a socket bound to a port but
/// never listening. A port merely closed again may be handed to another test's server in
/// the meantime (they all run in one process, in parallel). The port is free again when the
/// returned socket is dropped.
pub fn refusing_address() -> (std::os::fd::OwnedFd, std::net::SocketAddr) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a descriptor this function owns; every result is checked.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0, "socket");
        let owned = std::os::fd::OwnedFd::from_raw_fd(fd);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let bound = libc::bind(fd, (&raw const addr).cast(), len);
        assert_eq!(bound, 0, "bind");
        let mut got: libc::sockaddr_in = std::mem::zeroed();
        let mut got_len = len;
        let named = libc::getsockname(fd, (&raw mut got).cast(), &mut got_len);
        assert_eq!(named, 0, "getsockname");
        let port = u16::from_be(got.sin_port);
        (owned, std::net::SocketAddr::from(([127, 0, 0, 1], port)))
    }
}
