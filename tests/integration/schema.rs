//! The live SQL has one home a reader opens (`supabase/schemas/`: a file per table and per
//! function) and the migrations, which production applies, produce exactly it.

use std::path::Path;
use std::process::Command;

use crate::harness::ensure_stack;

#[tokio::test]
async fn the_migrations_produce_exactly_the_schema_that_supabase_schemas_describes() {
    ensure_stack();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));

    let output = Command::new("python3")
        .arg(root.join("scripts/schemas.py"))
        .arg("check")
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", "55322")
        .env("PGUSER", "postgres")
        .output()
        .expect("python3 runs");

    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("produce exactly"), "{text}");
}
