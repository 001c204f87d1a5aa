//! cvety-crm: the edge service between cvety.kz's Bitrix storefront and its Supabase CRM.
//! This file holds the Worker's entry points only; `core` is pure, `edge` adapts it to Workers.

pub mod core;

#[cfg(target_arch = "wasm32")]
mod edge;

#[cfg(target_arch = "wasm32")]
use worker::{event, Context, Env, Request, Response, Result};

#[cfg(target_arch = "wasm32")]
#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[cfg(target_arch = "wasm32")]
#[event(fetch)]
async fn fetch(request: Request, env: Env, _ctx: Context) -> Result<Response> {
    edge::routes::handle(request, env).await
}
