//! The staff pages (`/crm/...`) on the Worker: (1) read the cookie, the origin headers, the
//! query and the form, (2) `core::desk` serves the page, (3) write its log lines and answer
//! with its HTML and headers.

use worker::{Request, Response, Result};

use super::body::{read_capped, BodyError};
use super::emit_correlated;
use super::jobs::Bindings;
use super::outbound::HttpBitrixGateway;
use crate::domain::photo::{PhotoProblem, MAX_PHOTO_BYTES};
use crate::domain::staff_login::network_of;
use crate::random::SystemRandom;
use crate::web::multipart::{boundary, file_part};
use crate::web::routes::{Miss, PageRoute};
use crate::web::session::new_session_id;
use crate::web::staff_pages::{self, Desk, PageAnswer, PageRequest, MAX_FORM_BYTES};

fn pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// What a multipart body may hold beyond the photo itself (its part headers and boundaries).
const MULTIPART_SLACK: usize = 16 * 1024;

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
    // Cloudflare sets CF-Connecting-IP on every request (a client cannot choose it there).
    let network = network_of(headers.get("CF-Connecting-IP")?.as_deref());
    // A photo form: its file read out of the multipart body, capped at the photo limit.
    let content_type = headers.get("Content-Type")?.unwrap_or_default();
    // «Доставлено» with a handover photo comes as multipart too (without one, a plain form).
    let is_photo = matches!(route, Ok(PageRoute::AttachPhoto(_)))
        || (matches!(route, Ok(PageRoute::Delivered(_))) && boundary(&content_type).is_some());
    let photo_body = if is_photo {
        match read_capped(request, MAX_PHOTO_BYTES + MULTIPART_SLACK).await {
            Ok(body) => Some(Ok(body)),
            Err(BodyError::TooLarge { size, .. }) => Some(Err(PhotoProblem::TooLarge { size })),
            Err(BodyError::Unreadable(_)) => Some(Err(PhotoProblem::Missing)),
        }
    } else {
        None
    };
    let upload = photo_body.as_ref().and_then(|body| match body {
        Ok(body) => {
            let file = boundary(&content_type).and_then(|b| file_part(body, b, "photo")).filter(|f| !f.is_empty());
            // The handover photo is optional: no file, no upload.
            match (file, matches!(route, Ok(PageRoute::Delivered(_)))) {
                (Some(file), _) => Some(Ok(file)),
                (None, true) => None,
                (None, false) => Some(Err(PhotoProblem::Missing)),
            }
        }
        Err(problem) => Some(Err(*problem)),
    });
    let form = if is_photo {
        Vec::new()
    } else if route.as_ref().is_ok_and(PageRoute::is_change) {
        match read_capped(request, MAX_FORM_BYTES).await {
            Ok(body) => pairs(&String::from_utf8_lossy(&body)),
            Err(BodyError::TooLarge { .. }) => return respond(&staff_pages::form_too_large()),
            // A body that broke off is an empty form: the page says what is missing.
            Err(BodyError::Unreadable(_)) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let fresh_token = new_session_id(&mut SystemRandom);
    let fresh_secret = new_session_id(&mut SystemRandom);
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
        fresh_secret: &fresh_secret,
        upload,
        network: &network,
    };
    let gateway = HttpBitrixGateway(&bindings.config);
    let desk = Desk {
        crm: bindings.crm(&gateway, now),
        session_secret: &bindings.config.session_secret,
        photos: &bindings.photos,
        public_url: &bindings.config.crm_public_url,
    };
    let (answer, logs) = desk.serve(route, &page_request).await;
    emit_correlated(logs, bindings.store.correlation());
    respond(&answer)
}

/// A page's HTML with its status and headers.
pub fn respond(answer: &PageAnswer) -> Result<Response> {
    let response = match &answer.bytes {
        Some(bytes) => Response::from_bytes(bytes.clone())?,
        None => Response::from_html(&answer.html)?,
    };
    let mut response = response.with_status(answer.status);
    for (name, value) in &answer.headers {
        response.headers_mut().set(name, value)?;
    }
    Ok(response)
}
