//! Staff sessions and what guards the pages: passwords hashed with Argon2id (PHC strings), a
//! session cookie holding a random session id signed with HMAC-SHA256 (`SESSION_SECRET`), the
//! same-origin rule for every change. The limits on wrong passwords are `staff_login`'s.

use std::time::Duration;

use argon2::password_hash::rand_core::{CryptoRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The session cookie's name. `__Host-`: the browser takes it only when it is `Secure`, has
/// `Path=/` and no `Domain`, so a sibling site under `*.cvety.kz` cannot plant one for us.
pub const COOKIE: &str = "__Host-cvety_session";

/// A session lasts 12 hours from the login.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Argon2id with OWASP's smallest recommended memory cost (19 MiB, 2 passes, 1 lane): a login
/// costs about a tenth of a second of CPU, a stolen hash costs an attacker as much per guess.
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 params"))
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) of a password, with a random salt.
///
/// # Errors
/// Only if the salt cannot be encoded (it always can).
pub fn hash_password(password: &str, rng: &mut (impl RngCore + CryptoRng)) -> Result<String, String> {
    let salt = SaltString::generate(rng);
    argon2().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(|e| e.to_string())
}

/// The PHC string of a password, salted with `salt` (random bytes the caller drew, 4 to 48 of
/// them are used): for code that has random bytes but no generator at hand (the Desk's pages).
#[must_use]
pub fn hash_password_salted(password: &str, salt: &[u8]) -> String {
    let salt = &salt[..salt.len().min(48)];
    let salt =
        SaltString::encode_b64(if salt.len() >= 4 { salt } else { b"cvety-crm-salt" }).expect("4 to 48 bytes encode");
    argon2().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).expect("Argon2 hashes any password")
}

/// A stored hash that matches no password: checked against when the login is unknown, so that
/// an unknown login costs the same time as a wrong password.
pub const NO_ACCOUNT_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$hiIr1/PmFUtANtmhHpuWyOQtA3UM9E5FdtoLGY6hkno";

/// True when `password` matches the PHC string `stored` (any Argon2 variant and parameters it
/// names); false for anything unreadable.
#[must_use]
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

type HmacSha256 = Hmac<Sha256>;

fn signature(secret: &str, session_id: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(b"cvety-crm session v1\n");
    mac.update(session_id.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// A new session id: 32 random bytes, URL-safe.
#[must_use]
pub fn new_session_id(rng: &mut impl RngCore) -> String {
    let mut bytes = [0_u8; 32];
    rng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The cookie's value: the session id and its signature, `id.signature`.
#[must_use]
pub fn sign(secret: &str, session_id: &str) -> String {
    format!("{session_id}.{}", URL_SAFE_NO_PAD.encode(signature(secret, session_id)))
}

/// The session id a cookie value carries, when its signature is right (checked in constant
/// time). An empty secret signs nothing: no session is valid until one is set.
#[must_use]
pub fn verify(secret: &str, cookie_value: &str) -> Option<String> {
    if secret.is_empty() {
        return None;
    }
    let (session_id, given) = cookie_value.split_once('.')?;
    let given = URL_SAFE_NO_PAD.decode(given).ok()?;
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(b"cvety-crm session v1\n");
    mac.update(session_id.as_bytes());
    mac.verify_slice(&given).ok()?;
    (session_id.len() == 43).then(|| session_id.to_owned())
}

/// The value of cookie `name` in a `Cookie` header.
#[must_use]
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(key, _)| *key == name).map(|(_, v)| v)
}

/// The `Set-Cookie` header that starts a session: HttpOnly, Secure, SameSite=Strict, 12 h.
#[must_use]
pub fn set_cookie(value: &str) -> String {
    format!("{COOKIE}={value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}", SESSION_LIFETIME.as_secs())
}

/// The `Set-Cookie` header that ends a session in the browser.
#[must_use]
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// Whether a request that changes something comes from our own pages: its `Origin` is our own
/// origin, or, when a browser sends no `Origin`, `Sec-Fetch-Site` says `same-origin`. A request
/// with neither is refused: every browser we serve sends one of them on a POST.
#[must_use]
pub fn same_origin(own_origin: &str, origin: Option<&str>, sec_fetch_site: Option<&str>) -> bool {
    match (origin.map(str::trim), sec_fetch_site.map(str::trim)) {
        (Some(origin), _) if origin != "null" => origin.eq_ignore_ascii_case(own_origin.trim_end_matches('/')),
        (_, Some(site)) => site.eq_ignore_ascii_case("same-origin"),
        _ => false,
    }
}

/// A hash of `password` with a fixed salt, for tests elsewhere in the core.
#[cfg(test)]
#[must_use]
pub fn tests_hash(password: &str) -> String {
    hash_password(password, &mut tests::Counter(1)).expect("hashable")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fixed-seed generator for tests (salts and ids need only be unpredictable in production).
    pub struct Counter(pub u64);
    impl RngCore for Counter {
        fn next_u32(&mut self) -> u32 {
            u32::try_from(self.next_u64() & 0xffff_ffff).unwrap()
        }
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            self.0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for byte in dest {
                *byte = u8::try_from(self.next_u64() >> 56).unwrap();
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), argon2::password_hash::rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl CryptoRng for Counter {}

    #[test]
    fn a_password_is_hashed_with_argon2id_and_checked_against_its_hash_only() {
        let hash = hash_password("dev-staff-password", &mut Counter(7)).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("dev-staff-password", &hash));
        assert!(!verify_password("dev-staff-password ", &hash));
        assert!(!verify_password("dev-staff-password", "not a hash"));
        assert_ne!(hash, hash_password("dev-staff-password", &mut Counter(8)).unwrap(), "salted");
    }

    #[test]
    fn the_hash_for_unknown_logins_matches_no_password_we_would_accept() {
        assert!(PasswordHash::new(NO_ACCOUNT_HASH).is_ok());
        assert!(!verify_password("", NO_ACCOUNT_HASH) && !verify_password("dev-staff-password", NO_ACCOUNT_HASH));
    }

    #[test]
    fn a_signed_session_cookie_is_read_back_and_any_change_to_it_is_refused() {
        let id = new_session_id(&mut Counter(1));
        let value = sign("secret", &id);
        assert_eq!(verify("secret", &value), Some(id.clone()));
        assert_eq!(verify("other secret", &value), None);
        assert_eq!(verify("", &value), None, "no secret set: no session is valid");
        let mut forged = value.clone().into_bytes();
        forged[3] ^= 1;
        assert_eq!(verify("secret", &String::from_utf8(forged).unwrap()), None);
        assert_eq!(verify("secret", &id), None, "an id without its signature");
    }

    #[test]
    fn the_session_cookie_is_http_only_secure_strict_and_lasts_twelve_hours() {
        let header = set_cookie("abc.def");
        for part in ["__Host-cvety_session=abc.def", "HttpOnly", "Secure", "SameSite=Strict", "Max-Age=43200", "Path=/"]
        {
            assert!(header.contains(part), "{part} missing from {header}");
        }
        assert!(clear_cookie().contains("Max-Age=0"));
        assert_eq!(cookie(Some("a=1; __Host-cvety_session=x.y; b=2"), COOKIE), Some("x.y"));
        assert_eq!(cookie(Some("cvety_session=x.y"), COOKIE), None, "only the __Host- cookie counts");
        assert_eq!(cookie(Some("a=1"), COOKIE), None);
    }

    #[test]
    fn a_change_is_taken_only_from_our_own_origin() {
        let own = "https://crm.cvety.kz";
        assert!(same_origin(own, Some("https://crm.cvety.kz"), None));
        assert!(!same_origin(own, Some("https://evil.example"), Some("same-origin")), "Origin decides when sent");
        assert!(!same_origin(own, Some("null"), None));
        assert!(same_origin(own, None, Some("same-origin")));
        assert!(!same_origin(own, None, Some("cross-site")));
        assert!(!same_origin(own, None, None));
    }
}
