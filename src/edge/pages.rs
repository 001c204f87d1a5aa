//! The staff pages (`/crm/...`) on the Worker: (1) read the cookie, the origin headers, the
//! query and the form, (2) `core::desk` serves the page, (3) write its log lines and answer
//! with its HTML and headers.

use worker::{Request, Response, Result};

use super::emit;
use super::jobs::Bindings;
use super::outbound::HttpBitrixGateway;
use crate::core::desk::{Desk, PageRequest};
use crate::core::routes::{Miss, PageRoute};
use crate::core::session::new_session_id;
use crate::random::SystemRandom;

/// A form body above this is refused as unreadable (the largest form, a new order, is ~2 KB).
const MAX_FORM_BYTES: usize = 64 * 1024;

fn pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Serves a path under `/crm`.
pub async fn handle(
    request: &mut Request,
    bindings: &Bindings,
    route: &std::result::Result<PageRoute, Miss>,
) -> Result<Response> {
    let url = request.url()?;
    let own_origin = url.origin().ascii_serialization();
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let query = pairs(url.query().unwrap_or(""));
    let headers = request.headers();
    let cookie = headers.get("Cookie")?;
    let origin = headers.get("Origin")?;
    let sec_fetch_site = headers.get("Sec-Fetch-Site")?;
    let form = if route.as_ref().is_ok_and(PageRoute::is_change) {
        let body = request.bytes().await.unwrap_or_default();
        if body.len() > MAX_FORM_BYTES {
            Vec::new()
        } else {
            pairs(&String::from_utf8_lossy(&body))
        }
    } else {
        Vec::new()
    };
    let fresh_token = new_session_id(&mut SystemRandom);
    let now = super::now();
    let page_request = PageRequest {
        target: &target,
        query: &query,
        form: &form,
        cookie: cookie.as_deref(),
        origin: origin.as_deref(),
        sec_fetch_site: sec_fetch_site.as_deref(),
        own_origin: &own_origin,
        now,
        fresh_token: &fresh_token,
    };
    let gateway = HttpBitrixGateway(&bindings.config);
    let desk = Desk { crm: bindings.crm(&gateway, now), session_secret: &bindings.config.session_secret };
    let (answer, logs) = desk.serve(route, &page_request).await;
    for line in &logs {
        emit(line);
    }
    let mut response = Response::from_html(answer.html)?.with_status(answer.status);
    for (name, value) in &answer.headers {
        response.headers_mut().set(name, value)?;
    }
    Ok(response)
}
