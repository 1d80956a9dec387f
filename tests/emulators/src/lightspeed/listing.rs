//! List and count queries: `page` (from 1), `limit` (1 to 250, default 50), `since_id` (ids
//! strictly greater), `created_at_min`/`created_at_max`, `updated_at_min`/`updated_at_max`
//! (inclusive bounds, `YYYY-MM-DD HH:MM:SS` in UTC or ISO 8601 with an offset), and the
//! resource filters `product=` (variants) and `order=` (shipments).
//!
//! Lists are in ascending id order (creation order). Lightspeed's reference does not state
//! the order; ascending ids are what `since_id` paging (the documented way to fetch what is
//! new) needs, so the emulator assumes it and a connector relying on it can say so.

use serde_json::Value;

use super::store::{Record, Resource};
use crate::woocommerce::parse_rest_date;

/// The largest `limit`.
pub const MAX_LIMIT: usize = 250;
/// The `limit` when none is given.
pub const DEFAULT_LIMIT: usize = 50;

/// A parsed list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListQuery {
    pub page: usize,
    pub limit: usize,
    since_id: Option<u64>,
    created_min: Option<i64>,
    created_max: Option<i64>,
    updated_min: Option<i64>,
    updated_max: Option<i64>,
    /// A link filter: (field holding the link, id), e.g. (`product`, 7).
    parent: Option<(&'static str, u64)>,
}

fn positive(name: &str, value: &str) -> Result<u64, String> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("Invalid value for parameter {name}: expected a positive integer"))
}

fn date(name: &str, value: &str) -> Result<i64, String> {
    parse_rest_date(value.trim()).ok_or_else(|| {
        format!("Invalid value for parameter {name}: expected a date as YYYY-MM-DD HH:MM:SS")
    })
}

impl ListQuery {
    /// Parses the query string of a list of `resource`; the error names the parameter.
    pub(crate) fn parse(resource: Resource, query: &str) -> Result<Self, String> {
        let mut q = Self {
            page: 1,
            limit: DEFAULT_LIMIT,
            since_id: None,
            created_min: None,
            created_max: None,
            updated_min: None,
            updated_max: None,
            parent: None,
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "page" => q.page = usize::try_from(positive("page", &value)?).unwrap_or(usize::MAX),
                "limit" => {
                    let limit = positive("limit", &value)?;
                    if limit > MAX_LIMIT as u64 {
                        return Err(format!(
                            "Invalid value for parameter limit: at most {MAX_LIMIT}"
                        ));
                    }
                    q.limit = usize::try_from(limit).unwrap_or(MAX_LIMIT);
                }
                "since_id" => {
                    q.since_id = Some(value.trim().parse::<u64>().map_err(|_| {
                        "Invalid value for parameter since_id: expected an id".to_owned()
                    })?);
                }
                "created_at_min" => q.created_min = Some(date("created_at_min", &value)?),
                "created_at_max" => q.created_max = Some(date("created_at_max", &value)?),
                "updated_at_min" => q.updated_min = Some(date("updated_at_min", &value)?),
                "updated_at_max" => q.updated_max = Some(date("updated_at_max", &value)?),
                "product" if resource == Resource::Variants => {
                    q.parent = Some(("product", positive("product", &value)?));
                }
                "order" if resource == Resource::Shipments => {
                    q.parent = Some(("order", positive("order", &value)?));
                }
                // Lightspeed ignores parameters it does not know.
                _ => {}
            }
        }
        Ok(q)
    }

    fn keeps(&self, r: &Record) -> bool {
        let within = |v: i64, min: Option<i64>, max: Option<i64>| {
            min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m)
        };
        self.since_id.is_none_or(|s| r.id > s)
            && within(r.created, self.created_min, self.created_max)
            && within(r.updated, self.updated_min, self.updated_max)
            && self.parent.is_none_or(|(field, id)| {
                r.fields
                    .get(field)
                    .and_then(|l| l["resource"]["id"].as_u64())
                    == Some(id)
            })
    }

    /// The records the filters keep (all pages), in id order.
    pub(crate) fn matching(&self, records: Vec<Record>) -> Vec<Record> {
        records.into_iter().filter(|r| self.keeps(r)).collect()
    }

    /// This query's page of the records the filters keep.
    pub(crate) fn page_of(&self, records: Vec<Record>) -> Vec<Record> {
        let start = (self.page - 1).saturating_mul(self.limit);
        self.matching(records)
            .into_iter()
            .skip(start)
            .take(self.limit)
            .collect()
    }
}

/// The id inside a `{"resource": {"id": ...}}` link.
pub(crate) fn linked_id(link: Option<&Value>) -> Option<u64> {
    link?.get("resource")?.get("id")?.as_u64()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: u64, updated: i64, product: u64) -> Record {
        Record {
            id,
            created: 100,
            updated,
            fields: json!({"product": {"resource": {"id": product}}})
                .as_object()
                .unwrap()
                .clone(),
        }
    }

    #[test]
    fn filters_pages_and_names_bad_parameters() {
        let records = || {
            (1..=6)
                .map(|i| record(i, 1_735_689_600 + i as i64 * 60, i % 2))
                .collect::<Vec<_>>()
        };
        let q = ListQuery::parse(Resource::Variants, "since_id=1&limit=2&page=2").unwrap();
        assert_eq!(
            q.page_of(records())
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>(),
            vec![4, 5]
        );
        let q = ListQuery::parse(
            Resource::Variants,
            "updated_at_min=2025-01-01+00:02:00&updated_at_max=2025-01-01T00:04:00%2B00:00&product=1",
        )
        .unwrap();
        assert_eq!(
            q.matching(records())
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>(),
            vec![3]
        );
        // `product` only filters variants.
        let q = ListQuery::parse(Resource::Orders, "product=1").unwrap();
        assert_eq!(q.matching(records()).len(), 6);
        for (query, names) in [
            ("limit=251", "limit"),
            ("limit=0", "limit"),
            ("page=x", "page"),
            ("updated_at_min=yesterday", "updated_at_min"),
            ("since_id=-1", "since_id"),
        ] {
            let e = ListQuery::parse(Resource::Orders, query).unwrap_err();
            assert!(e.contains(names), "{query}: {e}");
        }
    }
}
