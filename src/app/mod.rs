//! Use cases over ports (one trait per outside system, in `ports`): ingest a webhook, work the
//! outbox, run a reconciliation, the CRM's commands and queries. Imports only `domain`; no
//! `worker`, no I/O of its own.

pub mod catalog_run;
pub mod changes;
pub mod crm;
pub mod crm_input;
pub mod edit;
pub mod handoff;
pub mod ingest;
pub mod outbox;
pub mod ports;
pub mod reconciliation_run;
pub mod reference_run;
pub mod team;
