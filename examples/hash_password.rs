//! Prints the Argon2id PHC string of the password read from standard input (one line), with a
//! random salt: what `scripts/staff.sh add` stores. The same code (`core::session`) checks it.

use std::io::Read;

use cvety_crm::random::SystemRandom;

fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("a password on standard input");
    let password = input.lines().next().unwrap_or_default();
    if password.chars().count() < 8 {
        eprintln!("hash_password: the password must have at least 8 characters");
        std::process::exit(2);
    }
    println!("{}", cvety_crm::web::session::hash_password(password, &mut SystemRandom).expect("a hash"));
}
