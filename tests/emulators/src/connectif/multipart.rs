//! `multipart/form-data` bodies (RFC 7578), as `POST /imports` takes them: the boundary
//! from the `Content-Type`, then each part's name (and file name) and its bytes.

use std::collections::BTreeMap;

/// The boundary of a `multipart/form-data` content type; `None` for any other type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    let kind = parts.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts.find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The parts of a body by name (a repeated name keeps the last); `Err` names what is wrong.
pub(crate) fn parts(body: &[u8], boundary: &str) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let delimiter = format!("--{boundary}");
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or("no part opens the body")?;
    let mut found = BTreeMap::new();
    loop {
        at += delimiter.len();
        if body.get(at..at + 2) == Some(b"--") {
            return Ok(found);
        }
        let headers_end =
            find(body, b"\r\n\r\n", at).ok_or("a part's headers are not terminated")?;
        let headers = String::from_utf8_lossy(&body[at..headers_end]);
        let name = headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .and_then(|l| {
                l.split(';').find_map(|p| {
                    p.trim()
                        .strip_prefix("name=")
                        .map(|n| n.trim_matches('"').to_owned())
                })
            })
            .ok_or("a part has no Content-Disposition name")?;
        let data_start = headers_end + 4;
        let next = find(body, format!("\r\n{delimiter}").as_bytes(), data_start)
            .ok_or("the body has no closing boundary")?;
        found.insert(name, body[data_start..next].to_vec());
        at = next + 2;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_files() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"abc\"").as_deref(),
            Some("abc")
        );
        assert!(boundary("application/json").is_none());
        let body = b"--abc\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\ncontacts\r\n\
--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\nContent-Type: text/csv\r\n\r\n_email\r\na@x.io\r\n\r\n--abc--\r\n";
        let parts = parts(body, "abc").unwrap();
        assert_eq!(parts["type"], b"contacts");
        assert_eq!(parts["file"], b"_email\r\na@x.io\r\n");
        assert!(super::parts(b"--abc\r\nno headers end", "abc").is_err());
        assert!(super::parts(b"nothing", "abc").is_err());
    }
}
