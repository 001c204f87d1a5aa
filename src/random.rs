//! The platform's random numbers as an `RngCore` for the core's session ids, form keys and
//! password salts: getrandom reads the operating system natively (`examples/hash_password.rs`)
//! and the Web Crypto API in workerd.

use argon2::password_hash::rand_core::{CryptoRng, Error, RngCore};

/// getrandom behind `RngCore`; it holds no state.
pub struct SystemRandom;

impl RngCore for SystemRandom {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0; 4];
        self.fill_bytes(&mut bytes);
        u32::from_le_bytes(bytes)
    }
    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0; 8];
        self.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        getrandom::fill(dest).expect("the platform gives random bytes");
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for SystemRandom {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_draws_differ_and_fill_every_byte_asked_for() {
        let (mut a, mut b) = ([0_u8; 32], [0_u8; 32]);
        SystemRandom.fill_bytes(&mut a);
        SystemRandom.fill_bytes(&mut b);
        assert_ne!(a, b);
        assert_ne!(SystemRandom.next_u64(), SystemRandom.next_u64());
    }
}
