//! Integration tests on the real stack: PostgreSQL, the PostgREST binary and the Worker in
//! workerd (`wrangler dev`), started by `harness` through scripts/stack.sh (CRM_STACK=test).

mod fakes;
mod faults;
mod harness;
mod health;
mod sync;
mod webhooks;
