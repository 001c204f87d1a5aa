//! The thin edge: the core's ports implemented on Worker bindings, the HTTP routes (the API and
//! the staff pages), the queue consumer and the sweep.

pub mod config;
pub mod crm_api;
pub mod jobs;
pub mod outbound;
pub mod pages;
pub mod routes;
pub mod store;

use crate::core::log::LogLine;

/// Writes one JSON log line (Workers Logs and `wrangler tail` pick it up).
pub fn emit(line: &LogLine) {
    worker::console_log!("{}", line.render());
}
