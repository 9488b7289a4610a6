//! Installing a release: `scripts/package.sh` packs the binary as the release workflow does,
//! and `scripts/install.sh` (what the GitHub Action runs) installs it from a `file://` release,
//! checksum verified, and refuses it when the checksum does not match.

use std::path::Path;
use std::process::Command;

fn script(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name)
}

#[test]
fn the_release_archive_installs_checksum_verified() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let dir = crate::support::run::scratch("release");
    let release = dir.join("release");
    let target = "x86_64-unknown-linux-musl";
    let packed = Command::new("bash")
        .arg(script("package.sh"))
        .args([target, env!("CARGO_BIN_EXE_preflight")])
        .arg(&release)
        .output()
        .expect("bash runs");
    assert!(
        packed.status.success(),
        "{}",
        String::from_utf8_lossy(&packed.stderr)
    );
    let sums = std::fs::read_to_string(release.join(format!("preflight-{target}.tar.gz.sha256")))
        .expect("a checksum file");
    assert!(
        sums.ends_with(&format!("  preflight-{target}.tar.gz\n")),
        "{sums}"
    );

    let install = |dest: &Path| {
        Command::new("bash")
            .arg(script("install.sh"))
            .arg("0.1.0")
            .arg(dest)
            .env("PREFLIGHT_TARGET", target)
            .env(
                "PREFLIGHT_DOWNLOAD_BASE",
                format!("file://{}", release.display()),
            )
            .output()
            .expect("bash runs")
    };
    let bin = dir.join("bin");
    let out = install(&bin);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = Command::new(bin.join("preflight"))
        .arg("--version")
        .output()
        .expect("the installed binary runs");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("preflight "));

    // A tampered archive: refused, nothing installed.
    let sha = release.join(format!("preflight-{target}.tar.gz.sha256"));
    std::fs::write(
        &sha,
        format!("{}  preflight-{target}.tar.gz\n", "0".repeat(64)),
    )
    .expect("write");
    let other = dir.join("other");
    let out = install(&other);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match"));
    assert!(!other.join("preflight").exists());
    let _ = std::fs::remove_dir_all(dir);
}
