//! Shared-secret checks: bearer tokens compared in constant time.

/// The token of an `Authorization: Bearer <token>` header, if it is one.
#[must_use]
pub fn bearer_token(header: Option<&str>) -> Option<&str> {
    let header = header?.trim();
    let (scheme, token) = header.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

/// True when `given` equals `expected`; the time taken depends only on the lengths.
/// An empty `expected` (a secret that was never set) matches nothing.
#[must_use]
pub fn token_matches(given: &str, expected: &str) -> bool {
    if expected.is_empty() || given.len() != expected.len() {
        return false;
    }
    given.bytes().zip(expected.bytes()).fold(0_u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_header_yields_its_token_whatever_the_scheme_case() {
        assert_eq!(bearer_token(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(Some("Basic abc")), None);
        assert_eq!(bearer_token(Some("Bearer ")), None);
        assert_eq!(bearer_token(None), None);
    }

    #[test]
    fn only_the_exact_token_matches_and_an_unset_secret_matches_nothing() {
        assert!(token_matches("dev-webhook-token", "dev-webhook-token"));
        assert!(!token_matches("dev-webhook-tokeN", "dev-webhook-token"));
        assert!(!token_matches("dev", "dev-webhook-token"));
        assert!(!token_matches("", ""));
    }

    #[test]
    fn two_wrong_bytes_never_cancel_each_other_out() {
        // 'a' ^ 'b' twice: a comparison that folded the differences with XOR would see none.
        assert!(!token_matches("ab-token", "ba-token"));
        assert!(!token_matches("dev-webhook-tokfm", "dev-webhook-token"));
    }
}
