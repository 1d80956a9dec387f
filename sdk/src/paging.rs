//! Paging helpers: opaque cursors and `Link` headers.
//!
//! The contract's `cursor` is an opaque string the host hands back unchanged on the next
//! `list` call; a connector keeps no state between calls, so the cursor carries whatever the
//! next page needs. [`encode_cursor`] writes any serde struct as base64url (no padding) of its
//! compact JSON, and [`decode_cursor`] reads it back. Keep cursor structs small and
//! versionable (e.g. `#[serde(default)]` on new fields).
//!
//! [`parse_link_header`] reads RFC 8288 `Link` headers (`<url>; rel="next", <url>;
//! rel="prev"`) and [`next_link`] finds the `rel="next"` target among a response's headers.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ConnectorResult;
use crate::http::Headers;
use crate::types::ConnectorError;

/// Longest cursor [`decode_cursor`] accepts, in characters.
pub const MAX_CURSOR_LEN: usize = 4096;

/// Encodes a cursor value as an opaque, URL-safe string.
pub fn encode_cursor<T: Serialize>(value: &T) -> ConnectorResult<String> {
    let json = serde_json::to_vec(value)
        .map_err(|e| ConnectorError::internal(format!("cannot encode cursor: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// Decodes a cursor made by [`encode_cursor`]. A cursor that is not one of ours is an
/// `internal` error (the host passes cursors back unchanged, so this means a bug or a cursor
/// from another connector version).
pub fn decode_cursor<T: DeserializeOwned>(cursor: &str) -> ConnectorResult<T> {
    let bad = |why: String| ConnectorError::invalid_request(format!("invalid cursor: {why}"));
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(bad(format!("longer than {MAX_CURSOR_LEN} characters")));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim().trim_end_matches('='))
        .map_err(|e| bad(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))
}

/// One link of a `Link` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The target, as written between `<` and `>`.
    pub url: String,
    /// The relation types of `rel` (lowercased, split on spaces).
    pub rels: Vec<String>,
    /// All parameters, names lowercased, values unquoted.
    pub params: Vec<(String, String)>,
}

impl Link {
    /// Whether the link has relation type `rel` (case-insensitive).
    pub fn has_rel(&self, rel: &str) -> bool {
        self.rels.iter().any(|r| r.eq_ignore_ascii_case(rel))
    }
}

/// Parses one `Link` header value into its links. Malformed parts are skipped.
pub fn parse_link_header(value: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        let Some(after_lt) = rest.strip_prefix('<') else {
            // Skip to the next link, if any.
            match rest.find(",") {
                Some(at) if !rest.is_empty() => {
                    rest = &rest[at + 1..];
                    continue;
                }
                _ => break,
            }
        };
        let Some(end) = after_lt.find('>') else { break };
        let url = after_lt[..end].trim().to_owned();
        rest = &after_lt[end + 1..];
        let mut params = Vec::new();
        // Parameters: `; name=value` or `; name="quoted, value"`, up to the next `,`.
        loop {
            rest = rest.trim_start();
            let Some(after_semi) = rest.strip_prefix(';') else {
                break;
            };
            rest = after_semi.trim_start();
            let name_end = rest
                .find(|c: char| c == '=' || c == ';' || c == ',' || c.is_whitespace())
                .unwrap_or(rest.len());
            let name = rest[..name_end].to_ascii_lowercase();
            rest = rest[name_end..].trim_start();
            let mut val = String::new();
            if let Some(after_eq) = rest.strip_prefix('=') {
                rest = after_eq.trim_start();
                if let Some(quoted) = rest.strip_prefix('"') {
                    let mut chars = quoted.char_indices();
                    let mut consumed = quoted.len();
                    while let Some((i, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, escaped)) = chars.next() {
                                    val.push(escaped);
                                }
                            }
                            '"' => {
                                consumed = i + 1;
                                break;
                            }
                            other => val.push(other),
                        }
                    }
                    rest = &quoted[consumed..];
                } else {
                    let end = rest.find([';', ',']).unwrap_or(rest.len());
                    val = rest[..end].trim().to_owned();
                    rest = &rest[end..];
                }
            }
            if !name.is_empty() {
                params.push((name, val));
            }
        }
        let rels = params
            .iter()
            .filter(|(n, _)| n == "rel")
            .flat_map(|(_, v)| v.split_whitespace().map(str::to_ascii_lowercase))
            .collect();
        links.push(Link { url, rels, params });
        // Drop anything up to the separating comma.
        match rest.find(',') {
            Some(at) => rest = &rest[at + 1..],
            None => break,
        }
    }
    links
}

/// The target of the first `rel="next"` link among all `Link` headers.
pub fn next_link(headers: &Headers) -> Option<String> {
    headers
        .get_all("link")
        .flat_map(parse_link_header)
        .find(|l| l.has_rel("next"))
        .map(|l| l.url)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct C {
        m: i64,
        id: u64,
        #[serde(default)]
        o: u64,
    }

    #[test]
    fn cursor_round_trip() {
        let c = C {
            m: 1_735_689_600,
            id: 42,
            o: 3,
        };
        let s = encode_cursor(&c).unwrap();
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{s}"
        );
        assert_eq!(decode_cursor::<C>(&s).unwrap(), c);
        assert!(
            matches!(decode_cursor::<C>("%%%"), Err(ConnectorError::InvalidRequest(m)) if m.starts_with("invalid cursor"))
        );
        let other = encode_cursor(&serde_json::json!({"x": 1})).unwrap();
        assert!(decode_cursor::<C>(&other).is_err());
        assert!(decode_cursor::<C>(&"A".repeat(MAX_CURSOR_LEN + 1)).is_err());
    }

    #[test]
    fn link_headers() {
        let wp = "<https://shop/wp-json/wc/v3/orders?page=1>; rel=\"prev\", <https://shop/wp-json/wc/v3/orders?page=3>; rel=\"next\"";
        let links = parse_link_header(wp);
        assert_eq!(links.len(), 2);
        assert!(links[0].has_rel("prev"));
        assert_eq!(links[1].url, "https://shop/wp-json/wc/v3/orders?page=3");
        let h = Headers::from_pairs([("Link", wp)]);
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://shop/wp-json/wc/v3/orders?page=3")
        );

        // Shopify style, unquoted rel, several rels, a comma inside a quoted title.
        let v = r#"<https://a/x?page_info=abc&limit=50>; rel=previous, <https://a/x?page_info=def>; title="a, b"; rel="next last""#;
        let links = parse_link_header(v);
        assert_eq!(links.len(), 2);
        assert!(links[0].has_rel("previous"));
        assert!(links[1].has_rel("next") && links[1].has_rel("LAST"));
        assert_eq!(links[1].params[0], ("title".into(), "a, b".into()));

        assert!(parse_link_header("").is_empty());
        assert!(parse_link_header("garbage, more garbage").is_empty());
        assert_eq!(
            next_link(&Headers::from_pairs([("link", "<u>; rel=prev")])),
            None
        );
        // Separate Link header lines.
        let h = Headers::from_pairs([("link", "<p>; rel=prev"), ("Link", "<n>; rel=next")]);
        assert_eq!(next_link(&h).as_deref(), Some("n"));
    }
}
