//! Standard Webhooks v1 (<https://www.standardwebhooks.com/>): the signing secret, signing, and
//! verifying a webhook's `webhook-id`, `webhook-timestamp` and `webhook-signature`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a webhook's timestamp may be from the Worker's clock, either way.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// At most this many signatures of one header are looked at (a sender rotating its secret sends
/// two; anything longer is somebody's noise).
const MAX_SIGNATURES: usize = 8;

/// A `whsec_<base64>` secret, decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(Vec<u8>);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningSecret({} bytes)", self.0.len())
    }
}

/// Why a configured secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a signing secret starts with whsec_")]
    Prefix,
    #[error("the part after whsec_ is not base64")]
    Base64,
    #[error("the secret is {0} bytes; at least 16 are needed")]
    TooShort(usize),
}

impl SigningSecret {
    /// Reads `whsec_<base64 of 16 or more bytes>`.
    ///
    /// # Errors
    /// [`SecretError`] naming what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text.trim().strip_prefix("whsec_").ok_or(SecretError::Prefix)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| SecretError::Base64)?;
        if bytes.len() < 16 {
            return Err(SecretError::TooShort(bytes.len()));
        }
        Ok(Self(bytes))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value for this id, timestamp and body: `v1,<base64>`.
    #[must_use]
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let digest = self.mac(id, &timestamp.to_string(), body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(digest))
    }
}

/// The three headers as received (absent ones `None`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SignedHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {0} header is missing")]
    Missing(&'static str),
    #[error("webhook-timestamp is not a number of seconds")]
    BadTimestamp,
    #[error("webhook-timestamp is {skew} s from the Worker's clock (at most {TOLERANCE_SECONDS} s)")]
    OutOfTolerance { skew: i64 },
    #[error("no v1 signature matches the body")]
    Mismatch,
}

impl SignatureError {
    /// The header the problem is in.
    #[must_use]
    pub fn header(&self) -> &'static str {
        match self {
            Self::Missing(header) => header,
            Self::BadTimestamp | Self::OutOfTolerance { .. } => "webhook-timestamp",
            Self::Mismatch => "webhook-signature",
        }
    }
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Checks a webhook signed with `secret` at `now` (Unix seconds): the headers are there, the
/// timestamp is within [`TOLERANCE_SECONDS`], and one `v1,` signature is the HMAC-SHA256 of
/// `id.timestamp.body` (compared in constant time).
///
/// # Errors
/// [`SignatureError`] saying which check failed.
pub fn verify(secret: &SigningSecret, headers: SignedHeaders<'_>, body: &[u8], now: i64) -> Result<(), SignatureError> {
    let id = present(headers.id).ok_or(SignatureError::Missing("webhook-id"))?;
    let timestamp = present(headers.timestamp).ok_or(SignatureError::Missing("webhook-timestamp"))?;
    let signatures = present(headers.signature).ok_or(SignatureError::Missing("webhook-signature"))?;
    if timestamp.len() > 12 || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::BadTimestamp);
    }
    let sent: i64 = timestamp.parse().map_err(|_| SignatureError::BadTimestamp)?;
    let skew = sent - now;
    if skew.abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::OutOfTolerance { skew });
    }
    let mac = secret.mac(id, timestamp, body);
    let matches = signatures.split(' ').filter(|s| !s.is_empty()).take(MAX_SIGNATURES).any(|candidate| {
        candidate
            .strip_prefix("v1,")
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .is_some_and(|given| mac.clone().verify_slice(&given).is_ok())
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector published with the Standard Webhooks specification (its reference
    /// libraries' tests use the same values).
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1_614_265_330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn spec_secret() -> SigningSecret {
        SigningSecret::parse(SPEC_SECRET).unwrap()
    }

    fn headers<'a>(id: &'a str, timestamp: &'a str, signature: &'a str) -> SignedHeaders<'a> {
        SignedHeaders { id: Some(id), timestamp: Some(timestamp), signature: Some(signature) }
    }

    #[test]
    fn signing_the_specifications_vector_gives_its_signature() {
        assert_eq!(spec_secret().sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY), SPEC_SIGNATURE);
    }

    #[test]
    fn the_specifications_vector_verifies_at_its_own_time_and_up_to_five_minutes_either_side() {
        let ts = SPEC_TIMESTAMP.to_string();
        for now in [SPEC_TIMESTAMP, SPEC_TIMESTAMP + 300, SPEC_TIMESTAMP - 300] {
            assert_eq!(verify(&spec_secret(), headers(SPEC_ID, &ts, SPEC_SIGNATURE), SPEC_BODY, now), Ok(()));
        }
    }

    #[test]
    fn a_timestamp_more_than_five_minutes_off_is_refused_whatever_the_signature() {
        let ts = SPEC_TIMESTAMP.to_string();
        let late = verify(&spec_secret(), headers(SPEC_ID, &ts, SPEC_SIGNATURE), SPEC_BODY, SPEC_TIMESTAMP + 301);
        let early = verify(&spec_secret(), headers(SPEC_ID, &ts, SPEC_SIGNATURE), SPEC_BODY, SPEC_TIMESTAMP - 301);
        assert_eq!(late, Err(SignatureError::OutOfTolerance { skew: -301 }));
        assert_eq!(early, Err(SignatureError::OutOfTolerance { skew: 301 }));
    }

    #[test]
    fn a_changed_body_id_or_timestamp_or_another_secret_no_longer_matches() {
        let ts = SPEC_TIMESTAMP.to_string();
        let next = (SPEC_TIMESTAMP + 1).to_string();
        let other = SigningSecret::parse("whsec_ZGV2LXNpZ25pbmctc2VjcmV0LWN2ZXR5LWNybS0wMTIzNDU2Nzg5").unwrap();
        let cases = [
            verify(&spec_secret(), headers(SPEC_ID, &ts, SPEC_SIGNATURE), br#"{"test": 2432232315}"#, SPEC_TIMESTAMP),
            verify(&spec_secret(), headers("msg_other", &ts, SPEC_SIGNATURE), SPEC_BODY, SPEC_TIMESTAMP),
            verify(&spec_secret(), headers(SPEC_ID, &next, SPEC_SIGNATURE), SPEC_BODY, SPEC_TIMESTAMP),
            verify(&other, headers(SPEC_ID, &ts, SPEC_SIGNATURE), SPEC_BODY, SPEC_TIMESTAMP),
        ];
        for case in cases {
            assert_eq!(case, Err(SignatureError::Mismatch));
        }
    }

    #[test]
    fn any_one_of_several_signatures_may_match_and_other_versions_are_ignored() {
        let ts = SPEC_TIMESTAMP.to_string();
        let several = format!("v1a,{} v1,AAAA {SPEC_SIGNATURE}", &SPEC_SIGNATURE[3..]);
        assert_eq!(verify(&spec_secret(), headers(SPEC_ID, &ts, &several), SPEC_BODY, SPEC_TIMESTAMP), Ok(()));
        let only_other_versions = format!("v2,{}", &SPEC_SIGNATURE[3..]);
        assert_eq!(
            verify(&spec_secret(), headers(SPEC_ID, &ts, &only_other_versions), SPEC_BODY, SPEC_TIMESTAMP),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn each_missing_header_and_a_timestamp_that_is_not_seconds_is_named() {
        let secret = spec_secret();
        let ts = SPEC_TIMESTAMP.to_string();
        let check = |h| verify(&secret, h, SPEC_BODY, SPEC_TIMESTAMP).unwrap_err().header();
        assert_eq!(check(SignedHeaders { id: None, ..headers(SPEC_ID, &ts, SPEC_SIGNATURE) }), "webhook-id");
        assert_eq!(
            check(SignedHeaders { timestamp: Some(" "), ..headers(SPEC_ID, &ts, SPEC_SIGNATURE) }),
            "webhook-timestamp"
        );
        assert_eq!(
            check(SignedHeaders { signature: None, ..headers(SPEC_ID, &ts, SPEC_SIGNATURE) }),
            "webhook-signature"
        );
        // Milliseconds (13 digits) are not seconds; 12 digits still are, only far off.
        assert!(matches!(
            verify(&secret, headers(SPEC_ID, "161426533000", SPEC_SIGNATURE), SPEC_BODY, SPEC_TIMESTAMP),
            Err(SignatureError::OutOfTolerance { .. })
        ));
        for bad in ["-1614265330", "1614265330.5", "1614265330000", "16142653300000000000", "now"] {
            assert_eq!(
                verify(&secret, headers(SPEC_ID, bad, SPEC_SIGNATURE), SPEC_BODY, SPEC_TIMESTAMP),
                Err(SignatureError::BadTimestamp),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_secret_is_whsec_and_base64_of_at_least_sixteen_bytes() {
        assert_eq!(SigningSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Err(SecretError::Prefix));
        assert_eq!(SigningSecret::parse("whsec_not base64!"), Err(SecretError::Base64));
        assert_eq!(SigningSecret::parse("whsec_c2hvcnQ="), Err(SecretError::TooShort(5)));
        assert!(SigningSecret::parse(" whsec_ZGV2LXNpZ25pbmctc2VjcmV0LWN2ZXR5LWNybS0wMTIzNDU2Nzg5 ").is_ok());
        assert!(SigningSecret::parse("whsec_MDEyMzQ1Njc4OWFiY2RlZg==").is_ok(), "16 bytes are enough");
        assert_eq!(SigningSecret::parse("whsec_MDEyMzQ1Njc4OWFiY2Rl"), Err(SecretError::TooShort(15)));
        let shown = format!("{:?}", spec_secret());
        assert_eq!(shown, "SigningSecret(24 bytes)", "the secret never reaches a log, its length does");
    }
}
