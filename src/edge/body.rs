//! Request bodies read with a cap: refused by `Content-Length` before a byte is read, or by
//! counting while a body without one streams in, so no body larger than its cap is ever held
//! in the Worker's memory. The caps themselves belong to their routes (core).

use futures::StreamExt;
use worker::Request;

/// Why a body was not read.
#[derive(Debug)]
pub enum BodyError {
    /// Over `cap`: `size` is its `Content-Length`, or what had arrived when the count passed it.
    TooLarge {
        size: usize,
        cap: usize,
    },
    Unreadable(String),
}

/// The body, at most `cap` bytes of it.
pub async fn read_capped(request: &mut Request, cap: usize) -> Result<Vec<u8>, BodyError> {
    let declared = request.headers().get("Content-Length").ok().flatten();
    if let Some(length) = declared.as_deref().and_then(|v| v.trim().parse::<u64>().ok()) {
        if length > cap as u64 {
            let size = usize::try_from(length).unwrap_or(usize::MAX);
            return Err(BodyError::TooLarge { size, cap });
        }
    }
    let mut stream = match request.stream() {
        Ok(stream) => stream,
        // No body at all (a GET, or an empty POST).
        Err(_) => return Ok(Vec::new()),
    };
    let mut body = Vec::new();
    // Bounded: every chunk grows `body`, and past `cap` the loop ends.
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| BodyError::Unreadable(e.to_string()))?;
        if body.len() + chunk.len() > cap {
            return Err(BodyError::TooLarge { size: body.len() + chunk.len(), cap });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The 400's message for a body that broke off while it was read.
#[must_use]
pub fn unreadable_body(reason: &str) -> String {
    format!("Не удалось прочитать тело запроса: {reason}")
}
