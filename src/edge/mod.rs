//! The thin edge: the core's ports implemented on Worker bindings, the HTTP routes (the API and
//! the staff pages), the queue consumer and the sweep. Only `calls` (the SQL functions' typed
//! descriptors) builds natively, so its signature test runs with the pure layers.

#[cfg(target_arch = "wasm32")]
pub mod body;
pub mod calls;
#[cfg(target_arch = "wasm32")]
pub mod config;
#[cfg(target_arch = "wasm32")]
pub mod crm_api;
#[cfg(target_arch = "wasm32")]
pub mod jobs;
#[cfg(target_arch = "wasm32")]
pub mod outbound;
#[cfg(target_arch = "wasm32")]
pub mod pages;
#[cfg(target_arch = "wasm32")]
pub mod routes;
#[cfg(target_arch = "wasm32")]
pub mod store;
#[cfg(target_arch = "wasm32")]
pub mod track;

#[cfg(target_arch = "wasm32")]
use crate::domain::log::LogLine;

#[cfg(target_arch = "wasm32")]
/// The time now (the Workers clock).
#[must_use]
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let millis = i64::try_from(worker::Date::now().as_millis()).unwrap_or(0);
    chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

#[cfg(target_arch = "wasm32")]
/// Writes one JSON log line (Workers Logs and `wrangler tail` pick it up).
pub fn emit(line: &LogLine) {
    worker::console_log!("{}", line.render());
}

#[cfg(target_arch = "wasm32")]
/// Writes a request's log lines, each with the request's correlation id.
pub fn emit_correlated(lines: Vec<LogLine>, correlation: Option<&str>) {
    for line in lines {
        match correlation {
            Some(id) => emit(&line.with("correlation_id", id)),
            None => emit(&line),
        }
    }
}

#[cfg(target_arch = "wasm32")]
/// A new correlation id for a request that brings none: 12 random bytes, URL-safe.
#[must_use]
pub fn new_correlation_id() -> String {
    use argon2::password_hash::rand_core::RngCore;
    use base64::Engine;
    let mut bytes = [0_u8; 12];
    crate::random::SystemRandom.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
