//! Prints the Argon2id PHC string of the password read from standard input (one line), with a
//! random salt: what `scripts/staff.sh add` stores. The same code (`core::session`) checks it.

use std::io::Read;

use argon2::password_hash::rand_core::{CryptoRng, Error, RngCore};

/// The operating system's random numbers.
struct Os;

impl RngCore for Os {
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
        getrandom::fill(dest).expect("the operating system gives random bytes");
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for Os {}

fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("a password on standard input");
    let password = input.lines().next().unwrap_or_default();
    if password.chars().count() < 8 {
        eprintln!("hash_password: the password must have at least 8 characters");
        std::process::exit(2);
    }
    println!("{}", cvety_crm::core::session::hash_password(password, &mut Os).expect("a hash"));
}
