//! The shop's values and rules, pure: ids, money, phones, text rules, the shop's clock, the
//! status table with its groups, the order and its webhook events, jobs (kinds, payloads, keys,
//! retry policy, gates), the shop's day, reconciliation, the catalogue's stock codes, the staff
//! login's limits. No HTTP, no I/O, no text for people; imports nothing above it.

pub mod apply;
pub mod auth;
pub mod bitrix;
pub mod board;
pub mod catalog;
pub mod clock;
pub mod dates;
pub mod decimal;
pub mod edit;
pub mod flow;
pub mod gateway;
pub mod ids;
pub mod jobs;
pub mod kit_outbox;
pub mod log;
pub mod ops;
pub mod order;
pub mod phone;
pub mod photo;
pub mod reconciliation;
pub mod reference;
pub mod retry;
pub mod roles;
pub mod settings;
pub mod signing;
pub mod staff_login;
pub mod status;
pub mod stock;
pub mod text;
pub mod track;
pub mod views;
