//! Connections: the `query:` search filter, the sort (`sortKey`, `reverse`), and cursor
//! paging (`first`/`after`, `last`/`before`).
//!
//! - Search syntax (Shopify's): terms separated by spaces (an `AND` between them is
//!   allowed), `field:value` or `field:<op>value` with `op` one of `>`, `>=`, `<`, `<=`;
//!   values may be quoted with `'` or `"`. Filters served: `updated_at`, `created_at` (an
//!   ISO 8601 date or date-time, UTC when zone-less) and `id`. Other fields are ignored, as
//!   Shopify ignores filters a resource does not know.
//! - Sort: `ID` (the default), `UPDATED_AT` and `CREATED_AT`, ties broken by id, so the
//!   order is total and stable.
//! - Cursors are, as on Shopify, base64 of `{"last_id":…,"last_value":…}`: the position of
//!   the last record in the sort. Paging after one is a keyset (records sorting after that
//!   position), so records changing between pages neither shift nor repeat the others.
//! - `first`/`last` at most 250; one of them is required (bulk operations excepted).

use base64::Engine;
use serde_json::{Value, json};

/// The largest page.
pub const MAX_PAGE: i64 = 250;

/// What a record sorts and filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub id: u64,
    pub updated: i64,
    pub created: i64,
}

/// A `sortKey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Id,
    UpdatedAt,
    CreatedAt,
}

impl SortKey {
    /// The enum value; `None` for one the emulator does not serve.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ID" => Some(Self::Id),
            "UPDATED_AT" => Some(Self::UpdatedAt),
            "CREATED_AT" => Some(Self::CreatedAt),
            _ => None,
        }
    }

    fn value(self, e: &Entry) -> i64 {
        match self {
            Self::Id => 0,
            Self::UpdatedAt => e.updated,
            Self::CreatedAt => e.created,
        }
    }

    fn key(self, e: &Entry) -> (i64, u64) {
        (self.value(e), e.id)
    }
}

/// The arguments of a connection field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionArgs {
    pub first: Option<i64>,
    pub after: Option<String>,
    pub last: Option<i64>,
    pub before: Option<String>,
    pub sort_key: Option<String>,
    pub reverse: bool,
    pub query: Option<String>,
    /// A bulk operation's connection: no page size means all records.
    pub unbounded: bool,
}

impl ConnectionArgs {
    /// Reads the arguments from a field's resolved argument object.
    pub fn from_json(args: &serde_json::Map<String, Value>) -> Result<Self, String> {
        let int = |name: &str| -> Result<Option<i64>, String> {
            match args.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| format!("Argument '{name}' must be an Int")),
            }
        };
        let text = |name: &str| -> Result<Option<String>, String> {
            match args.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("Argument '{name}' must be a String")),
            }
        };
        Ok(Self {
            first: int("first")?,
            after: text("after")?,
            last: int("last")?,
            before: text("before")?,
            sort_key: text("sortKey")?,
            reverse: args
                .get("reverse")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            query: text("query")?,
            unbounded: false,
        })
    }
}

/// One page of a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged {
    /// The records of the page, in order, with their cursors.
    pub items: Vec<(u64, String)>,
    pub has_next: bool,
    pub has_previous: bool,
}

/// A comparison in a search term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    field: String,
    op: Op,
    value: String,
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// Splits a search string into terms, keeping quoted values whole.
fn terms(query: &str) -> Vec<Term> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in query.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.push(c);
            }
            (None, c) if c.is_whitespace() => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            (None, c) => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
        .into_iter()
        .filter(|w| w != "AND")
        .filter_map(|w| {
            let (field, rest) = w.split_once(':')?;
            let (op, value) = if let Some(v) = rest.strip_prefix(">=") {
                (Op::Ge, v)
            } else if let Some(v) = rest.strip_prefix("<=") {
                (Op::Le, v)
            } else if let Some(v) = rest.strip_prefix('>') {
                (Op::Gt, v)
            } else if let Some(v) = rest.strip_prefix('<') {
                (Op::Lt, v)
            } else {
                (Op::Eq, rest)
            };
            Some(Term {
                field: field.to_owned(),
                op,
                value: unquote(value).to_owned(),
            })
        })
        .collect()
}

/// Seconds of an ISO 8601 date (`2026-01-31`) or date-time (`2026-01-31T12:00:00`, with
/// an optional fraction and `Z` or `±HH:MM`).
pub fn parse_instant(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() == 10 {
        return crate::woocommerce::parse_rest_date(&format!("{s}T00:00:00"));
    }
    let base = crate::woocommerce::parse_rest_date(s.get(..19)?)?;
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    match rest {
        "" | "Z" | "z" => Some(base),
        zone => {
            let sign = match zone.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = zone[1..].split_once(':')?;
            let offset = h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60;
            Some(base - sign * offset)
        }
    }
}

fn compare(op: Op, have: i64, want: i64) -> bool {
    match op {
        Op::Eq => have == want,
        Op::Gt => have > want,
        Op::Ge => have >= want,
        Op::Lt => have < want,
        Op::Le => have <= want,
    }
}

/// Whether an entry passes the search string; an unreadable date is an error naming it.
pub fn matches(query: Option<&str>, e: &Entry) -> Result<bool, String> {
    let Some(query) = query else { return Ok(true) };
    for t in terms(query) {
        let keep = match t.field.as_str() {
            "updated_at" | "created_at" => {
                let want = parse_instant(&t.value).ok_or_else(|| {
                    format!("Invalid date in search query: {}:{}", t.field, t.value)
                })?;
                let have = if t.field == "updated_at" {
                    e.updated
                } else {
                    e.created
                };
                compare(t.op, have, want)
            }
            "id" => match t.value.parse::<i64>() {
                Ok(want) => compare(t.op, i64::try_from(e.id).unwrap_or(i64::MAX), want),
                Err(_) => false,
            },
            _ => true,
        };
        if !keep {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The cursor of an entry in a sort.
pub fn cursor(sort: SortKey, e: &Entry) -> String {
    let value = match sort {
        SortKey::Id => json!(e.id),
        SortKey::UpdatedAt => json!(super::views::datetime(e.updated)),
        SortKey::CreatedAt => json!(super::views::datetime(e.created)),
    };
    base64::engine::general_purpose::STANDARD
        .encode(json!({"last_id": e.id, "last_value": value}).to_string())
}

/// The sort position a cursor names.
fn decode_cursor(sort: SortKey, cursor: &str) -> Result<(i64, u64), String> {
    let invalid = || format!("Invalid cursor for current pagination sort: {cursor}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let id = v["last_id"].as_u64().ok_or_else(invalid)?;
    let value = match sort {
        SortKey::Id => 0,
        SortKey::UpdatedAt | SortKey::CreatedAt => v["last_value"]
            .as_str()
            .and_then(parse_instant)
            .ok_or_else(invalid)?,
    };
    Ok((value, id))
}

/// Sorts, filters and pages `entries` as `args` ask.
pub fn page(mut entries: Vec<Entry>, args: &ConnectionArgs) -> Result<Paged, String> {
    let sort = match args.sort_key.as_deref() {
        None => SortKey::Id,
        Some(name) => SortKey::parse(name)
            .ok_or_else(|| format!("Argument 'sortKey' has an invalid value ({name})."))?,
    };
    let size = match (args.first, args.last) {
        (Some(n), None) | (None, Some(n)) => n,
        (None, None) if args.unbounded => i64::MAX,
        (None, None) => return Err("you must provide one of first or last".into()),
        (Some(_), Some(_)) => return Err("providing both first and last is not supported".into()),
    };
    if !args.unbounded && !(0..=MAX_PAGE).contains(&size) {
        return Err(format!(
            "The page size must be between 0 and {MAX_PAGE} (got {size})"
        ));
    }
    let mut kept = Vec::with_capacity(entries.len());
    for e in entries.drain(..) {
        if matches(args.query.as_deref(), &e)? {
            kept.push(e);
        }
    }
    kept.sort_by_key(|e| sort.key(e));
    if args.reverse {
        kept.reverse();
    }
    // "After" and "before" are positions in the listing's direction.
    let ahead = |e: &Entry, mark: (i64, u64)| {
        if args.reverse {
            sort.key(e) < mark
        } else {
            sort.key(e) > mark
        }
    };
    let mut has_previous = false;
    if let Some(after) = &args.after {
        let mark = decode_cursor(sort, after)?;
        let before_len = kept.len();
        kept.retain(|e| ahead(e, mark));
        has_previous = kept.len() < before_len;
    }
    let mut has_next = false;
    if let Some(before) = &args.before {
        let mark = decode_cursor(sort, before)?;
        let before_len = kept.len();
        kept.retain(|e| !ahead(e, mark) && sort.key(e) != mark);
        has_next = kept.len() < before_len;
    }
    let size = usize::try_from(size).unwrap_or(0);
    let chosen: Vec<Entry> = if args.last.is_some() {
        has_previous = kept.len() > size;
        kept[kept.len().saturating_sub(size)..].to_vec()
    } else {
        has_next = kept.len() > size;
        kept.into_iter().take(size).collect()
    };
    Ok(Paged {
        items: chosen.iter().map(|e| (e.id, cursor(sort, e))).collect(),
        has_next,
        has_previous,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn e(id: u64, updated: i64) -> Entry {
        Entry {
            id,
            updated,
            created: 0,
        }
    }

    fn args(first: i64, sort: &str, query: Option<&str>, after: Option<String>) -> ConnectionArgs {
        ConnectionArgs {
            first: Some(first),
            sort_key: Some(sort.into()),
            query: query.map(str::to_owned),
            after,
            ..ConnectionArgs::default()
        }
    }

    #[test]
    fn updated_at_sort_breaks_ties_by_id_and_pages_by_keyset() {
        let entries = vec![e(3, 100), e(1, 100), e(2, 50), e(4, 200)];
        let p1 = page(entries.clone(), &args(2, "UPDATED_AT", None, None)).unwrap();
        let ids: Vec<u64> = p1.items.iter().map(|i| i.0).collect();
        assert_eq!(ids, vec![2, 1]);
        assert!(p1.has_next);
        // Record 2 changes between pages: it moves to the end, nothing shifts.
        let changed = vec![e(3, 100), e(1, 100), e(2, 300), e(4, 200)];
        let after = p1.items[1].1.clone();
        let p2 = page(changed, &args(5, "UPDATED_AT", None, Some(after))).unwrap();
        let ids: Vec<u64> = p2.items.iter().map(|i| i.0).collect();
        assert_eq!(ids, vec![3, 4, 2]);
        assert!(!p2.has_next && p2.has_previous);
    }

    #[test]
    fn search_filters_updated_at() {
        let t = parse_instant("2026-01-01T00:00:00Z").unwrap();
        let entries = vec![e(1, t - 1), e(2, t), e(3, t + 1)];
        let ge = page(
            entries.clone(),
            &args(10, "ID", Some("updated_at:>='2026-01-01T00:00:00Z'"), None),
        )
        .unwrap();
        assert_eq!(ge.items.iter().map(|i| i.0).collect::<Vec<_>>(), vec![2, 3]);
        let gt = page(
            entries,
            &args(
                10,
                "ID",
                Some("updated_at:>\"2026-01-01T01:00:00+01:00\""),
                None,
            ),
        )
        .unwrap();
        assert_eq!(gt.items.iter().map(|i| i.0).collect::<Vec<_>>(), vec![3]);
        assert!(matches(Some("updated_at:>'yesterday-ish'"), &e(1, 0)).is_err());
    }

    #[test]
    fn page_size_is_required_and_bounded() {
        let bad = ConnectionArgs::default();
        assert!(page(vec![], &bad).unwrap_err().contains("first or last"));
        assert!(page(vec![], &args(251, "ID", None, None)).is_err());
        assert!(page(vec![], &args(2, "TITLE", None, None)).is_err());
        assert!(page(vec![], &args(2, "ID", None, Some("nope".into()))).is_err());
    }

    #[test]
    fn last_pages_from_the_end() {
        let entries = vec![e(1, 0), e(2, 0), e(3, 0)];
        let a = ConnectionArgs {
            last: Some(2),
            ..ConnectionArgs::default()
        };
        let p = page(entries, &a).unwrap();
        assert_eq!(p.items.iter().map(|i| i.0).collect::<Vec<_>>(), vec![2, 3]);
        assert!(p.has_previous && !p.has_next);
    }
}
