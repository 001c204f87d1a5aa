//! Reads one file out of a `multipart/form-data` body (RFC 7578): the photo a phone's form
//! sends. Bounded: at most [`MAX_PARTS`] parts are looked at.

/// The most parts a form's body is read through (the photo form has two).
pub const MAX_PARTS: usize = 16;

/// The boundary of a `multipart/form-data` content type, or `None` for any other type.
#[must_use]
pub fn boundary(content_type: &str) -> Option<&str> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"'))
            .filter(|b| (1..=70).contains(&b.len()))
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from >= haystack.len() {
        return None;
    }
    haystack[from..].windows(needle.len()).position(|window| window == needle).map(|at| at + from)
}

/// The bytes of the part named `field` (empty when the form sent no file), `None` when the body
/// has no such part or is not a readable multipart body.
#[must_use]
pub fn file_part<'a>(body: &'a [u8], boundary: &str, field: &str) -> Option<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let wanted = format!("name=\"{field}\"");
    let mut at = find(body, delimiter.as_bytes(), 0)? + delimiter.len();
    for _ in 0..MAX_PARTS {
        // `--` after a delimiter ends the body.
        if body.get(at..at + 2) == Some(b"--") {
            return None;
        }
        let headers_start = at + 2; // CRLF after the delimiter
        let headers_end = find(body, b"\r\n\r\n", headers_start)?;
        let headers = std::str::from_utf8(body.get(headers_start..headers_end)?).ok()?;
        let content_start = headers_end + 4;
        let content_end = find(body, next_delimiter.as_bytes(), content_start)?;
        let disposition = headers.lines().find(|line| line.to_ascii_lowercase().starts_with("content-disposition:"))?;
        if disposition.split(';').any(|param| param.trim() == wanted) {
            return Some(&body[content_start..content_end]);
        }
        at = content_end + next_delimiter.len();
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A form body as a browser sends it: a text field, then the file.
    pub fn form(boundary: &str, file: &[u8]) -> Vec<u8> {
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nсобран\r\n--{boundary}\r\n\
             Content-Disposition: form-data; name=\"photo\"; filename=\"IMG_1.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        body
    }

    #[test]
    fn the_boundary_is_read_from_the_content_type_quoted_or_not() {
        assert_eq!(boundary("multipart/form-data; boundary=----WebKitFormBoundaryX"), Some("----WebKitFormBoundaryX"));
        assert_eq!(boundary("multipart/form-data; charset=utf-8; boundary=\"a b\""), Some("a b"));
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(boundary("multipart/form-data"), None);
    }

    #[test]
    fn the_named_file_is_found_after_other_fields_with_its_bytes_exactly() {
        let file = b"\xff\xd8\xff binary \r\n-- not a boundary \xff\xd9";
        let body = form("XyZ", file);
        assert_eq!(file_part(&body, "XyZ", "photo"), Some(&file[..]));
        assert_eq!(file_part(&body, "XyZ", "note"), Some("собран".as_bytes()));
        assert_eq!(file_part(&body, "XyZ", "other"), None);
        assert_eq!(file_part(&body[..body.len() / 2], "XyZ", "photo"), None, "a body cut short has no file");
        assert_eq!(file_part(b"garbage", "XyZ", "photo"), None);
    }
}
