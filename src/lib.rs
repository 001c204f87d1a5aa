//! cvety-crm: the edge service between cvety.kz's Bitrix storefront and its Supabase CRM.
//! This file holds the Worker's entry points only. The layers, each importing only the ones
//! below it: `domain` (values and rules), `app` (use cases over ports), `web` (HTTP, pages,
//! texts), `edge` (thin adapters on the Worker's bindings). All but `edge` are pure and tested
//! natively, and so are the edge's typed SQL calls (`edge::calls`).

pub mod app;
pub mod domain;
pub mod edge;
pub mod random;
pub mod web;

#[cfg(target_arch = "wasm32")]
mod entry {
    use worker::{event, Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent};

    use crate::edge;

    #[event(start)]
    fn start() {
        console_error_panic_hook::set_once();
    }

    #[event(fetch)]
    async fn fetch(request: Request, env: Env, ctx: Context) -> Result<Response> {
        edge::routes::handle(request, env, ctx).await
    }

    #[event(queue)]
    async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> Result<()> {
        edge::jobs::consume(batch, &env).await
    }

    #[event(scheduled)]
    async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        edge::jobs::scheduled(&env).await;
    }
}
