//! The staff pages in a real headless Chromium (Debian's `chromium`, driven by Playwright for
//! Python: tests/ui/test_pages.py) against the real test stack and the fakes. This binary
//! brings the stack up, adds the staff accounts, runs the browser tests and fails with them.
//! Screenshots of every page are kept in target/ui-screenshots.

#[path = "integration/fakes.rs"]
mod fakes;
#[path = "integration/harness.rs"]
mod harness;

use std::path::Path;
use std::process::Command;

use argon2::password_hash::rand_core::{CryptoRng, Error, RngCore};

/// The operating system's random numbers, for the accounts' salts.
struct Os;

impl RngCore for Os {
    fn next_u32(&mut self) -> u32 {
        u32::try_from(self.next_u64() & 0xffff_ffff).unwrap()
    }
    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0; 8];
        self.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        getrandom::fill(dest).unwrap();
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for Os {}

/// The accounts the browser tests log in with: login, name, password, role.
pub const ACCOUNTS: [(&str, &str, &str, &str); 5] = [
    ("admin", "Администратор", "dev-staff-password", "owner"),
    ("lockme", "Проверка блокировки", "lockme-password", "owner"),
    ("manager-ui", "Менеджер Дана", "manager-password", "manager"),
    ("florist-ui", "Флорист Алия", "florist-password", "florist"),
    ("courier-ui", "Курьер Ерлан", "courier-password", "courier"),
];

#[tokio::test]
async fn the_staff_pages_work_in_a_real_browser() {
    harness::ensure_stack();
    let db = harness::db().await;
    for (login, name, password, role) in ACCOUNTS {
        let hash = cvety_crm::web::session::hash_password(password, &mut Os).unwrap();
        db.execute(
            "insert into staff (login, name, password_hash, role) values ($1, $2, $3, $4)
             on conflict (login) do update set name = excluded.name, password_hash = excluded.password_hash,
               role = excluded.role, disabled_at = null",
            &[&login, &name, &hash, &role],
        )
        .await
        .unwrap();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shots = root.join("target/ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    // Bounded: a browser that hangs fails the test after ten minutes instead of stalling CI.
    let status = Command::new("timeout")
        .args(["600", "python3"])
        .arg(root.join("tests/ui/test_pages.py"))
        .env("CRM_URL", harness::url(""))
        .env("PG_PORT", "55322")
        .env("BITRIX_FAKE", "http://127.0.0.1:55380")
        .env("TELEGRAM_FAKE", "http://127.0.0.1:55381")
        .env("WEBHOOK_TOKEN", harness::WEBHOOK_TOKEN)
        .env("WEBHOOK_SIGNING_SECRET", harness::WEBHOOK_SIGNING_SECRET)
        .env("CRM_TOKEN", harness::CRM_TOKEN)
        .env("SCREENSHOTS", &shots)
        .env("AXE", root.join("node_modules/axe-core/axe.min.js"))
        .current_dir(root)
        .status()
        .expect("python3 runs");

    assert!(status.success(), "the browser tests failed (their output is above; screenshots in {})", shots.display());
}
