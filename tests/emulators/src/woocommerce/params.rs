//! Query parameters of collection requests, validated the way WordPress validates them.
//!
//! WordPress checks every registered argument against its JSON schema before the handler
//! (and before the permission check) runs, and reports all invalid ones at once as
//! `400 rest_invalid_param` with one sentence per parameter under `data.params`. The
//! [`Validator`] reproduces those sentences (`per_page must be between 1 (inclusive) and 100
//! (inclusive)`, `order is not one of asc and desc.`, `Invalid date.`).

use super::error::{ParamError, WcError, sprintf_l};
use super::time::parse_rest_date;

/// A request's query string, decoded, in order (repeated keys kept).
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes a raw query string (`+` is a space, as in PHP).
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self { pairs }
    }

    /// All pairs in request order.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of a scalar parameter (the last one wins, as in PHP).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A list parameter: `key=a,b` or `key[]=a&key[]=b` (or `key[0]=a`).
    pub(crate) fn list(&self, key: &str) -> Option<Vec<String>> {
        let bracketed: Vec<String> = self
            .pairs
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix(key)
                    .and_then(|rest| rest.strip_prefix('['))
                    .is_some_and(|rest| rest.ends_with(']'))
            })
            .map(|(_, v)| v.clone())
            .collect();
        if !bracketed.is_empty() {
            return Some(bracketed);
        }
        self.get(key).map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }
}

/// Collects the invalid parameters of one request.
#[derive(Debug)]
pub(crate) struct Validator<'q> {
    q: &'q Query,
    errors: Vec<ParamError>,
}

/// Whether a string is an integer the way WordPress's `rest_is_integer` sees it.
pub(crate) fn parse_integer(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    let f: f64 = s.trim().parse().ok()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// WordPress's `rest_is_boolean` / `rest_sanitize_boolean` for query strings.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" | "" => Some(false),
        _ => None,
    }
}

impl<'q> Validator<'q> {
    pub(crate) fn new(q: &'q Query) -> Self {
        Self {
            q,
            errors: Vec::new(),
        }
    }

    fn fail(&mut self, name: &str, code: &'static str, message: String) {
        self.errors.push(ParamError::new(name, code, message));
    }

    /// An integer with optional bounds (WordPress's messages for type and range).
    pub(crate) fn int(&mut self, name: &str, min: Option<i64>, max: Option<i64>) -> Option<i64> {
        let raw = self.q.get(name)?;
        let Some(n) = parse_integer(raw) else {
            self.fail(
                name,
                "rest_invalid_type",
                format!("{name} is not of type integer."),
            );
            return None;
        };
        let out_of_bounds = min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m);
        if out_of_bounds {
            let message = match (min, max) {
                (Some(lo), Some(hi)) => {
                    format!("{name} must be between {lo} (inclusive) and {hi} (inclusive)")
                }
                (Some(lo), None) => format!("{name} must be greater than or equal to {lo}"),
                (None, Some(hi)) => format!("{name} must be less than or equal to {hi}"),
                (None, None) => String::new(),
            };
            self.fail(name, "rest_out_of_bounds", message);
            return None;
        }
        Some(n)
    }

    /// A string parameter restricted to `allowed`; `default` when absent or invalid.
    pub(crate) fn one_of(
        &mut self,
        name: &str,
        allowed: &[&'static str],
        default: &'static str,
    ) -> &'static str {
        let Some(raw) = self.q.get(name) else {
            return default;
        };
        if let Some(v) = allowed.iter().find(|a| **a == raw) {
            return v;
        }
        self.fail(
            name,
            "rest_not_in_enum",
            format!("{name} is not one of {}.", sprintf_l(allowed)),
        );
        default
    }

    /// A list parameter whose items are restricted to `allowed`.
    pub(crate) fn list_of(
        &mut self,
        name: &str,
        allowed: &[&'static str],
    ) -> Option<Vec<&'static str>> {
        let raw = self.q.list(name)?;
        let mut out = Vec::new();
        for (i, item) in raw.iter().enumerate() {
            match allowed.iter().find(|a| **a == item) {
                Some(v) => out.push(*v),
                None => {
                    self.fail(
                        name,
                        "rest_not_in_enum",
                        format!("{name}[{i}] is not one of {}.", sprintf_l(allowed)),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    /// A `date-time` parameter, as seconds since the epoch (UTC).
    pub(crate) fn date(&mut self, name: &str) -> Option<i64> {
        let raw = self.q.get(name)?;
        let parsed = parse_rest_date(raw);
        if parsed.is_none() {
            self.fail(name, "rest_invalid_date", "Invalid date.".to_owned());
        }
        parsed
    }

    /// A boolean parameter.
    pub(crate) fn boolean(&mut self, name: &str) -> Option<bool> {
        let raw = self.q.get(name)?;
        let parsed = parse_bool(raw);
        if parsed.is_none() {
            self.fail(
                name,
                "rest_invalid_type",
                format!("{name} is not of type boolean."),
            );
        }
        parsed
    }

    /// A list of ids (`include=1,2,3`), validated as integers.
    pub(crate) fn ids(&mut self, name: &str) -> Vec<u64> {
        let Some(raw) = self.q.list(name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in raw.iter().enumerate() {
            match parse_integer(item) {
                Some(n) => out.push(n.unsigned_abs()),
                None => {
                    self.fail(
                        name,
                        "rest_invalid_type",
                        format!("{name}[{i}] is not of type integer."),
                    );
                    return Vec::new();
                }
            }
        }
        out
    }

    /// A list of free-text values (`sku=A,B`).
    pub(crate) fn list_of_strings(&self, name: &str) -> Option<Vec<String>> {
        self.q.list(name).filter(|l| !l.is_empty())
    }

    /// A free-text parameter.
    pub(crate) fn string(&self, name: &str) -> Option<String> {
        self.q
            .get(name)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    /// Ok when every parameter was valid, else WordPress's `rest_invalid_param` error.
    pub(crate) fn finish(self) -> Result<(), WcError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(WcError::invalid_params(&self.errors))
        }
    }
}

/// The shared arguments of every collection (`page`, `per_page`, `orderby`, dates, ...).
#[derive(Debug, Clone)]
pub(crate) struct Collection {
    pub page: u64,
    pub per_page: u64,
    pub offset: Option<u64>,
    pub desc: bool,
    pub orderby: &'static str,
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub modified_after: Option<i64>,
    pub modified_before: Option<i64>,
    pub include: Vec<u64>,
    pub exclude: Vec<u64>,
    pub search: Option<String>,
}

impl Collection {
    /// Index of the first record of the requested page.
    pub(crate) fn start(&self) -> usize {
        let start = self
            .offset
            .unwrap_or((self.page - 1).saturating_mul(self.per_page));
        usize::try_from(start).unwrap_or(usize::MAX)
    }

    /// Parses the collection arguments (in WordPress's registration order).
    pub(crate) fn parse(
        v: &mut Validator<'_>,
        orderby: &[&'static str],
        default_orderby: &'static str,
        default_order: &'static str,
    ) -> Self {
        let page = v.int("page", Some(1), None).unwrap_or(1);
        let per_page = v.int("per_page", Some(1), Some(100)).unwrap_or(10);
        let search = v.string("search");
        let after = v.date("after");
        let before = v.date("before");
        let modified_after = v.date("modified_after");
        let modified_before = v.date("modified_before");
        // The shop's timezone is UTC, so GMT and local dates are the same instants.
        let _dates_are_gmt = v.boolean("dates_are_gmt");
        let exclude = v.ids("exclude");
        let include = v.ids("include");
        let offset = v.int("offset", None, None).map(i64::unsigned_abs);
        let order = v.one_of("order", &["asc", "desc"], default_order);
        let orderby = v.one_of("orderby", orderby, default_orderby);
        Self {
            page: page.unsigned_abs().max(1),
            per_page: per_page.unsigned_abs().max(1),
            offset,
            desc: order == "desc",
            orderby,
            after,
            before,
            modified_after,
            modified_before,
            include,
            exclude,
            search,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_scalars() {
        let q = Query::parse(Some(
            "status=processing,completed&x[]=1&x[]=2&page=2&page=3",
        ));
        assert_eq!(q.list("status").unwrap(), vec!["processing", "completed"]);
        assert_eq!(q.list("x").unwrap(), vec!["1", "2"]);
        assert_eq!(q.get("page"), Some("3"));
    }

    #[test]
    fn reports_all_invalid_params() {
        let q = Query::parse(Some("per_page=500&order=up&modified_after=soon"));
        let mut v = Validator::new(&q);
        let c = Collection::parse(&mut v, &["date", "id"], "date", "desc");
        assert_eq!(c.per_page, 10);
        let err = v.finish().unwrap_err();
        assert_eq!(err.status(), 400);
        assert_eq!(
            err.message(),
            "Invalid parameter(s): per_page, modified_after, order"
        );
        let body = err.body();
        assert_eq!(
            body["data"]["params"]["order"],
            "order is not one of asc and desc."
        );
        assert_eq!(body["data"]["params"]["modified_after"], "Invalid date.");
    }
}
