//! Integration tests on the real stack: PostgreSQL, the PostgREST binary and the Worker in
//! workerd (`wrangler dev`), started by `harness` through scripts/stack.sh (CRM_STACK=test).
//! Tests here run side by side; tests whose effects reach other tests' data (stopping
//! PostgREST, replaying every dead letter, restarting the Worker, the soak) have binaries of
//! their own: tests/outage.rs, tests/switches.rs, tests/soak.rs.

mod backfill;
mod database;
mod fakes;
mod faults;
mod harness;
mod health;
mod hostile;
mod kit_outbox;
mod schema;
mod security;
mod sync;
mod team;
mod tracing;
mod track;
mod webhooks;
