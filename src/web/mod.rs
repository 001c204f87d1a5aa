//! What goes over HTTP and what people read: the route table, the API's requests and answers,
//! the staff pages and their sessions, Telegram's text, the human formats, the headers and
//! production's checks. Imports `app` and `domain`; no `worker`.

pub mod access;
pub mod answers;
pub mod api_requests;
pub mod csv;
pub mod deployment;
pub mod human;
pub mod multipart;
pub mod pages;
pub mod routes;
pub mod session;
pub mod staff_pages;
pub mod telegram;
pub mod track_page;
