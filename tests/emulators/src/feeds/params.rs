//! Query parameters shared by both feeds, parsed strictly: a bad value is a 400 naming the
//! parameter, never silently ignored.

use std::collections::HashMap;

use crate::woocommerce::time::parse_rest_date;

/// A rejected parameter: its name and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadParam {
    pub name: &'static str,
    pub message: String,
}

impl std::fmt::Display for BadParam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid `{}`: {}", self.name, self.message)
    }
}

/// An optional unsigned number within `min..=max`, `default` when absent.
pub(crate) fn number(
    query: &HashMap<String, String>,
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, BadParam> {
    let Some(raw) = query.get(name) else {
        return Ok(default);
    };
    let value: u64 = raw.parse().map_err(|_| BadParam {
        name,
        message: format!("{raw:?} is not a whole number"),
    })?;
    if !(min..=max).contains(&value) {
        return Err(BadParam {
            name,
            message: format!("{value} is not within {min}..={max}"),
        });
    }
    Ok(value)
}

/// The optional `updated_since` (RFC 3339) as seconds since the epoch.
pub(crate) fn updated_since(query: &HashMap<String, String>) -> Result<Option<i64>, BadParam> {
    query
        .get("updated_since")
        .map(|raw| {
            parse_rest_date(raw).ok_or_else(|| BadParam {
                name: "updated_since",
                message: format!("{raw:?} is not an RFC 3339 timestamp"),
            })
        })
        .transpose()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn strict() {
        assert_eq!(number(&q(&[]), "limit", 25, 1, 100), Ok(25));
        assert_eq!(number(&q(&[("limit", "7")]), "limit", 25, 1, 100), Ok(7));
        assert_eq!(
            number(&q(&[("limit", "0")]), "limit", 25, 1, 100)
                .unwrap_err()
                .name,
            "limit"
        );
        assert!(number(&q(&[("limit", "x")]), "limit", 25, 1, 100).is_err());
        assert_eq!(
            updated_since(&q(&[("updated_since", "2025-01-01T00:00:00Z")])),
            Ok(Some(1_735_689_600))
        );
        assert!(updated_since(&q(&[("updated_since", "yesterday")])).is_err());
    }
}
