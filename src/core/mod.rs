//! The pure core: domain types, parsing, the status map, decisions and answers. No `worker`,
//! no wasm-bindgen, no I/O: everything here compiles and is tested natively.

pub mod api;
pub mod apply;
pub mod auth;
pub mod bitrix;
pub mod board;
pub mod crm;
pub mod crm_service;
pub mod dates;
pub mod decimal;
pub mod deployment;
pub mod desk;
pub mod gateway;
pub mod human;
pub mod ids;
pub mod jobs;
pub mod log;
pub mod ops;
pub mod order;
pub mod pages;
pub mod phone;
pub mod ports;
pub mod reconcile;
pub mod reconciler;
pub mod retry;
pub mod routes;
pub mod runner;
pub mod service;
pub mod session;
pub mod settings;
pub mod signing;
pub mod status;
pub mod telegram;
pub mod text;
pub mod views;
