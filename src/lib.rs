//! cvety-crm: the edge service between cvety.kz's Bitrix storefront and its Supabase CRM.
//! This file holds the Worker's entry points only; `core` is pure, `edge` adapts it to Workers.

pub mod core;
pub mod random;

#[cfg(target_arch = "wasm32")]
mod edge;

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
