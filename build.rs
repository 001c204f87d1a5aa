//! Build metadata for `/health`: the newest migration the code was written against, and the
//! git commit when there is one.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=supabase/migrations");
    println!("cargo:rerun-if-changed=.git/HEAD");
    let newest_migration = std::fs::read_dir(Path::new("supabase/migrations"))
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.split('_').next().map(str::to_owned))
        .max()
        .unwrap_or_else(|| "none".to_owned());
    println!("cargo:rustc-env=CRM_SCHEMA_VERSION={newest_migration}");
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=CRM_GIT_COMMIT={commit}");
}
