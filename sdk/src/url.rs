//! Absolute `http`/`https` URLs: a small, strict parser and builder.
//!
//! Connectors only ever talk to absolute web URLs, so instead of a full WHATWG URL
//! implementation (whose internationalised-domain tables alone would add about 200 KB to
//! every component) this module parses exactly that shape:
//!
//! `scheme://[user[:password]@]host[:port][/path][?query][#fragment]`
//!
//! - the scheme is lowercased and must be `http` or `https` for requests (others parse, so
//!   callers can give a clear message);
//! - the host is a DNS name (ASCII letters, digits, `-`, `.`, `_`; lowercased; an
//!   internationalised name must be given in its `xn--` form), an IPv4 address, or an IPv6
//!   address in brackets;
//! - a default port (80 for http, 443 for https) is dropped, like browsers do;
//! - the path is normalised: `.`/`..` segments are resolved, characters that may not appear
//!   in a path are percent-encoded (existing `%XX` escapes are kept), and an empty path
//!   becomes `/`;
//! - the query is kept as given, with characters that may not appear percent-encoded.
//!
//! Path segments added with [`Url::push_segment`] are percent-encoded completely (`/`, `?`,
//! `#`, `%` and dot segments included), so an id can never change the shape of a URL.
//! Query pairs added with [`Url::append_query_pair`] are `application/x-www-form-urlencoded`.

use std::fmt;

/// A URL that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct UrlError {
    /// What is wrong with it.
    pub reason: String,
}

fn err(reason: impl Into<String>) -> UrlError {
    UrlError {
        reason: reason.into(),
    }
}

/// An absolute URL (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Url {
    scheme: String,
    username: String,
    password: Option<String>,
    host: String,
    port: Option<u16>,
    path: String,
    query: Option<String>,
    fragment: Option<String>,
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_pct(out: &mut String, b: u8) {
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 15)]));
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

/// Percent-encodes what may not appear in a URL component, keeping valid `%XX` escapes and
/// the characters `allowed` says are fine.
fn encode_component(s: &str, allowed: impl Fn(u8) -> bool) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let escape = b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if escape {
            out.push_str(&s[i..i + 3]);
            i += 3;
            continue;
        }
        if allowed(b) {
            out.push(char::from(b));
        } else {
            push_pct(&mut out, b);
        }
        i += 1;
    }
    out
}

fn path_char(b: u8) -> bool {
    is_unreserved(b) || is_sub_delim(b) || matches!(b, b':' | b'@' | b'/')
}

fn query_char(b: u8) -> bool {
    path_char(b) || b == b'?'
}

fn userinfo_char(b: u8) -> bool {
    is_unreserved(b) || is_sub_delim(b)
}

/// Percent-encodes a whole path segment: everything but unreserved characters and a few
/// harmless sub-delimiters; `.` and `..` become `%2E` and `%2E%2E`.
pub fn encode_segment(segment: &str) -> String {
    if segment == "." || segment == ".." {
        return "%2E".repeat(segment.len());
    }
    let mut out = String::with_capacity(segment.len());
    for &b in segment.as_bytes() {
        if is_unreserved(b)
            || matches!(
                b,
                b'!' | b'$' | b'\'' | b'(' | b')' | b'*' | b',' | b':' | b'@'
            )
        {
            out.push(char::from(b));
        } else {
            push_pct(&mut out, b);
        }
    }
    out
}

/// Decodes `%XX` escapes (invalid ones are kept as they are); the bytes are read as UTF-8,
/// lossily.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// RFC 3986 §5.2.4 "remove dot segments" on an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => trailing_slash = i == last,
            ".." => {
                out.pop();
                trailing_slash = i == last;
            }
            s => {
                out.push(s);
                trailing_slash = false;
            }
        }
    }
    let mut result = String::with_capacity(path.len());
    for seg in &out {
        result.push('/');
        result.push_str(seg);
    }
    if trailing_slash || result.is_empty() {
        result.push('/');
    }
    result
}

fn parse_host(host: &str) -> Result<String, UrlError> {
    if host.is_empty() {
        return Err(err("the URL has no host"));
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| err("unterminated IPv6 address"))?;
        let ok = !inner.is_empty()
            && inner.contains(':')
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !ok {
            return Err(err(format!("invalid IPv6 address [{inner}]")));
        }
        return Ok(format!("[{}]", inner.to_ascii_lowercase()));
    }
    if !host.is_ascii() {
        return Err(err(format!(
            "host {host:?} is not ASCII: give an internationalised domain name in its xn-- form"
        )));
    }
    let ok = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !ok || host.starts_with('.') || host.contains("..") {
        return Err(err(format!("invalid host {host:?}")));
    }
    Ok(host.to_ascii_lowercase())
}

/// The default port of a scheme.
pub fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl Url {
    /// Parses an absolute URL (see the module docs).
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        let s = input.trim();
        if s.bytes().any(|b| b.is_ascii_control()) {
            return Err(err("the URL contains control characters"));
        }
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| err("not an absolute URL (expected scheme://host/...)"))?;
        let scheme_ok = scheme
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !scheme_ok {
            return Err(err(format!("invalid scheme {scheme:?}")));
        }
        let scheme = scheme.to_ascii_lowercase();

        let (rest, fragment) = match rest.split_once('#') {
            Some((r, f)) => (r, Some(encode_component(f, query_char))),
            None => (rest, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(encode_component(q, query_char))),
            None => (rest, None),
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            Some(ui) => match ui.split_once(':') {
                Some((u, p)) => (
                    encode_component(u, userinfo_char),
                    Some(encode_component(p, userinfo_char)),
                ),
                None => (encode_component(ui, userinfo_char), None),
            },
            None => (String::new(), None),
        };
        let (host, port) = if hostport.starts_with('[') {
            match hostport.find(']') {
                Some(end) => {
                    let port = hostport[end + 1..].strip_prefix(':');
                    if port.is_none() && end + 1 != hostport.len() {
                        return Err(err(format!("invalid authority {hostport:?}")));
                    }
                    (&hostport[..=end], port)
                }
                None => return Err(err("unterminated IPv6 address")),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        let host = parse_host(host)?;
        let port = match port {
            None | Some("") => None,
            Some(p) => {
                if !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err(format!("invalid port {p:?}")));
                }
                let n: u16 = p
                    .parse()
                    .map_err(|_| err(format!("port {p} is out of range")))?;
                Some(n)
            }
        };
        let port = port.filter(|p| Some(*p) != default_port(&scheme));
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            remove_dot_segments(&encode_component(path, path_char))
        };
        Ok(Self {
            scheme,
            username,
            password,
            host,
            port,
            path,
            query,
            fragment,
        })
    }

    /// The scheme, lowercase (`https`).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host (`shop.example.com`, `127.0.0.1`, `[::1]`).
    pub fn host_str(&self) -> Option<&str> {
        Some(&self.host)
    }

    /// The port when it is not the scheme's default.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port, or the scheme's default.
    pub fn port_or_known_default(&self) -> Option<u16> {
        self.port.or_else(|| default_port(&self.scheme))
    }

    /// `host[:port]`, as the `Host` header and `wasi:http` authority want it.
    pub fn authority(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// The user name (percent-encoded, empty when none).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password (percent-encoded).
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The path, always starting with `/` (percent-encoded).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query without `?` (percent-encoded).
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The fragment without `#`.
    pub fn fragment(&self) -> Option<&str> {
        self.fragment.as_deref()
    }

    /// The path and query, as sent in a request line (`/a/b?x=1`).
    pub fn path_with_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    /// Replaces the path (normalised and encoded as when parsing).
    pub fn set_path(&mut self, path: &str) {
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        self.path = remove_dot_segments(&encode_component(&path, path_char));
    }

    /// Replaces the query (`None` removes it).
    pub fn set_query(&mut self, query: Option<&str>) {
        self.query = query.map(|q| encode_component(q, query_char));
    }

    /// Replaces the fragment (`None` removes it).
    pub fn set_fragment(&mut self, fragment: Option<&str>) {
        self.fragment = fragment.map(|f| encode_component(f, query_char));
    }

    /// Removes user name and password.
    pub fn clear_credentials(&mut self) {
        self.username.clear();
        self.password = None;
    }

    /// Appends one path segment, fully percent-encoded (see [`encode_segment`]). A trailing
    /// `/` of the current path is reused rather than producing an empty segment.
    pub fn push_segment(&mut self, segment: &str) {
        if !self.path.ends_with('/') {
            self.path.push('/');
        }
        self.path.push_str(&encode_segment(segment));
    }

    /// Appends a `name=value` query pair, form-urlencoded.
    pub fn append_query_pair(&mut self, name: &str, value: &str) {
        let pair = form_urlencoded::Serializer::new(String::new())
            .append_pair(name, value)
            .finish();
        match &mut self.query {
            Some(q) if !q.is_empty() => {
                q.push('&');
                q.push_str(&pair);
            }
            _ => self.query = Some(pair),
        }
    }

    /// The query's pairs, form-urldecoded.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The URL as a string.
    pub fn as_string(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if !self.username.is_empty() || self.password.is_some() {
            f.write_str(&self.username)?;
            if let Some(p) = &self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        f.write_str(&self.path)?;
        if let Some(q) = &self.query {
            write!(f, "?{q}")?;
        }
        if let Some(fr) = &self.fragment {
            write!(f, "#{fr}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Url {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn p(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn parses_parts() {
        let u = p("HTTPS://User:P%40ss@Shop.Example.COM:8443/wp-json/wc/v3/?a=1&b=x y#frag");
        assert_eq!(u.scheme(), "https");
        assert_eq!(u.username(), "User");
        assert_eq!(u.password(), Some("P%40ss"));
        assert_eq!(u.host_str(), Some("shop.example.com"));
        assert_eq!(u.port(), Some(8443));
        assert_eq!(u.authority(), "shop.example.com:8443");
        assert_eq!(u.path(), "/wp-json/wc/v3/");
        assert_eq!(u.query(), Some("a=1&b=x%20y"));
        assert_eq!(u.fragment(), Some("frag"));
        assert_eq!(
            u.to_string(),
            "https://User:P%40ss@shop.example.com:8443/wp-json/wc/v3/?a=1&b=x%20y#frag"
        );
        assert_eq!(u.path_with_query(), "/wp-json/wc/v3/?a=1&b=x%20y");

        let u = p("http://127.0.0.1:80");
        assert_eq!(
            (u.port(), u.path(), u.to_string().as_str()),
            (None, "/", "http://127.0.0.1/")
        );
        assert_eq!(u.port_or_known_default(), Some(80));
        let u = p("http://[::1]:8090/x");
        assert_eq!(u.host_str(), Some("[::1]"));
        assert_eq!(u.authority(), "[::1]:8090");
        assert_eq!(p("https://h:443/").authority(), "h");
        assert_eq!(p("http://h:/").port(), None);
    }

    #[test]
    fn normalises_paths() {
        assert_eq!(p("http://h/a/./b/../c").path(), "/a/c");
        assert_eq!(p("http://h/a/..").path(), "/");
        assert_eq!(p("http://h/../../x").path(), "/x");
        assert_eq!(p("http://h/a/b/.").path(), "/a/b/");
        assert_eq!(p("http://h/a b/é").path(), "/a%20b/%C3%A9");
        assert_eq!(p("http://h/a%2Fb").path(), "/a%2Fb");
        assert_eq!(p("http://h/100%").path(), "/100%25");
    }

    #[test]
    fn refuses_bad_urls() {
        for bad in [
            "",
            "shop.example.com",
            "/relative",
            "http://",
            "http:///path",
            "http://exa mple.com/",
            "http://h:99999/",
            "http://h:8o/",
            "http://[::1/",
            "http://[zz]/",
            "http://bücher.de/",
            "http://a..b/",
            "1http://h/",
            "http://h/a\tb",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad:?}");
        }
        assert!(p("http://xn--bcher-kva.de/").host_str() == Some("xn--bcher-kva.de"));
    }

    #[test]
    fn builds_paths_and_queries() {
        let mut u = p("https://shop.example.com/wp-json/wc/v3/");
        u.push_segment("orders");
        u.push_segment("../x?y#z/%");
        u.push_segment("..");
        assert_eq!(
            u.path(),
            "/wp-json/wc/v3/orders/..%2Fx%3Fy%23z%2F%25/%2E%2E"
        );
        u.append_query_pair("modified_after", "2025-01-02T03:04:05");
        u.append_query_pair("search", "a b&c=d/é");
        assert_eq!(
            u.query(),
            Some("modified_after=2025-01-02T03%3A04%3A05&search=a+b%26c%3Dd%2F%C3%A9")
        );
        assert_eq!(
            u.query_pairs(),
            vec![
                ("modified_after".into(), "2025-01-02T03:04:05".into()),
                ("search".into(), "a b&c=d/é".into())
            ]
        );
        let mut u = p("http://h/base");
        u.push_segment("a");
        assert_eq!(u.path(), "/base/a");
        u.set_path("x/y/../z");
        assert_eq!(u.path(), "/x/z");
        u.set_query(None);
        u.set_fragment(Some("f"));
        u.clear_credentials();
        assert_eq!(u.to_string(), "http://h/x/z#f");
        assert_eq!(percent_decode("P%40ss%zz"), "P@ss%zz");
    }
}
