//! The buyer's tracking page on the Worker (`/t/{token}`): (1) the network's rate limit, (2) the
//! token read (a malformed one never reaches the store), (3) one store call, (4) the page or its
//! photo, or the same 404 for every miss.

use worker::{Env, Request, Response, Result};

use super::config::names;
use super::emit;
use super::jobs::Bindings;
use super::pages::respond;
use crate::app::ports::{PhotoStore, TeamStore};
use crate::domain::log::LogLine;
use crate::domain::staff_login::network_of;
use crate::domain::track::TrackToken;
use crate::web::track_page;

/// Serves `/t/{token}` (or its photo).
pub async fn handle(request: &Request, bindings: &Bindings, env: &Env, token: &str, photo: bool) -> Result<Response> {
    let phone = &bindings.config.shop_phone;
    let network = network_of(request.headers().get("CF-Connecting-IP")?.as_deref());
    // Cloudflare's rate limiting, per network: guesses run out before they find anything.
    if let Ok(limiter) = env.rate_limiter(names::TRACK_LIMIT) {
        if limiter.limit(network.clone()).await.is_ok_and(|outcome| !outcome.success) {
            emit(&LogLine::new("warn", "track.rate_limited").with("network", network.as_str()));
            return respond(&track_page::too_many(phone));
        }
    }
    let Some(token) = TrackToken::parse(token) else {
        return respond(&track_page::not_found(phone));
    };
    let view = match bindings.store.track_page(token.as_str()).await {
        Ok(Some(view)) => view,
        Ok(None) => return respond(&track_page::not_found(phone)),
        Err(error) => {
            emit(&LogLine::new("error", "track.store_failed").with("reason", crate::app::ports::cause_chain(&error)));
            return respond(&track_page::unavailable(phone));
        }
    };
    if !photo {
        return respond(&track_page::page(&view, token.as_str(), phone));
    }
    let (Some(key), Some(content_type)) = (view.photo_key.as_deref(), view.photo_type.as_deref()) else {
        return respond(&track_page::not_found(phone));
    };
    match bindings.photos.get(key).await {
        Ok(Some(bytes)) => respond(&track_page::photo(bytes, content_type)),
        Ok(None) => respond(&track_page::not_found(phone)),
        Err(_) => respond(&track_page::unavailable(phone)),
    }
}
