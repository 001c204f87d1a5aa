//! The rules of a staff login before any password is checked: the longest login, the limits on
//! wrong passwords (counted by the store, atomically) and the network a login comes from. Not
//! passwords, cookies or sessions (`session`).

use std::time::Duration;

/// The longest login a person can have (the staff table's check); a longer one is refused
/// before the store is asked or a password is hashed.
pub const MAX_LOGIN_CHARS: usize = 64;

/// How many wrong passwords are checked before the login form refuses to check more. Every
/// attempt is counted as a failure by the same statement that compares the counts with these
/// limits (the store's `login_attempt`), and a right password takes its own count back, so
/// parallel requests never get more guesses than the limits. Failures older than a day are
/// forgotten, for every login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Within this window, failures of ...
    pub window: Duration,
    /// ... one login from one network (the usual typo; an attacker at one address),
    pub per_login_and_network: u32,
    /// ... any login from one network (one address trying many logins),
    pub per_network: u32,
    /// ... one login from every network together (a distributed attack); networks the login
    /// opened a session from within `trusted_for` are not held by this one, so the owner is let
    /// in while the attack goes on.
    pub per_login: u32,
    /// Locked until this long after the newest failure that counted.
    pub lock: Duration,
    pub trusted_for: Duration,
}

/// The limits in force.
pub const LOGIN_LIMITS: LoginLimits = LoginLimits {
    window: Duration::from_secs(15 * 60),
    per_login_and_network: 5,
    per_network: 20,
    per_login: 30,
    lock: Duration::from_secs(15 * 60),
    trusted_for: Duration::from_secs(30 * 24 * 3600),
};

/// Why a login is refused before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockScope {
    LoginFromNetwork,
    Network,
    Login,
}

/// The network a request comes from, as the login limits count it: an IPv4 address, the /64 of
/// an IPv6 address (one subscriber holds a whole /64), or `unknown` without a readable address
/// (`CF-Connecting-IP` is always set on Cloudflare).
#[must_use]
pub fn network_of(client_ip: Option<&str>) -> String {
    match client_ip.map(str::trim).and_then(|ip| ip.parse::<std::net::IpAddr>().ok()) {
        Some(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Some(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_is_an_ipv4_address_or_the_slash_64_of_an_ipv6_one() {
        assert_eq!(network_of(Some("203.0.113.7")), "203.0.113.7");
        assert_eq!(network_of(Some(" 2001:db8:1:2:3:4:5:6 ")), "2001:db8:1:2::/64");
        assert_eq!(network_of(Some("2001:db8:1:2:ffff::1")), network_of(Some("2001:db8:1:2::9")), "one /64");
        assert_ne!(network_of(Some("2001:db8:1:3::1")), network_of(Some("2001:db8:1:2::1")));
        assert_eq!(network_of(Some("::ffff:198.51.100.1")), "198.51.100.1");
        assert_eq!(network_of(Some("not an address")), "unknown");
        assert_eq!(network_of(None), "unknown");
    }

    #[test]
    fn the_limits_lock_one_network_before_a_whole_login() {
        let l = LOGIN_LIMITS;
        assert!(l.per_login_and_network < l.per_network && l.per_network < l.per_login);
        assert_eq!((l.per_login_and_network, l.window.as_secs(), l.lock.as_secs()), (5, 900, 900));
    }
}
