//! Magento's `searchCriteria` query: parsing the bracketed query string and applying it to
//! a list of JSON records.
//!
//! - `searchCriteria[filter_groups][i][filters][j][field|value|condition_type]` (also the
//!   camelCase `filterGroups`, `conditionType`): filters within a group are ORed, groups are
//!   ANDed. Conditions: `eq` (the default), `neq`, `gt`, `gteq`/`moreq`, `lt`, `lteq`, `in`,
//!   `nin` (comma-separated lists), `like` (`%` wildcards), `null`, `notnull`.
//! - `searchCriteria[sortOrders][k][field|direction]` (`ASC` unless `DESC`); the entity id
//!   breaks ties so the order is total.
//! - `searchCriteria[pageSize]`, `searchCriteria[currentPage]` (1-based). A page past the end
//!   answers the last page again, as Magento's collections do; clients stop by `total_count`.
//!
//! Values compare as numbers when both sides are numbers, else as text (Magento's dates,
//! `YYYY-MM-DD HH:MM:SS`, order correctly as text).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::error::MagentoError;

/// One filter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub field: String,
    pub value: String,
    pub condition: String,
}

/// One sort order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortOrder {
    pub field: String,
    pub descending: bool,
}

/// A parsed `searchCriteria`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchCriteria {
    pub filter_groups: Vec<Vec<Filter>>,
    pub sort_orders: Vec<SortOrder>,
    pub page_size: Option<usize>,
    pub current_page: Option<usize>,
}

/// The condition types the emulator understands.
pub const CONDITIONS: &[&str] = &[
    "eq", "neq", "gt", "gteq", "moreq", "lt", "lteq", "in", "nin", "like", "null", "notnull",
];

/// The bracketed segments after `searchCriteria`: `[a][0][b]` → `["a", "0", "b"]`.
fn segments(key: &str) -> Option<Vec<String>> {
    let rest = key.strip_prefix("searchCriteria")?;
    let mut parts = Vec::new();
    let mut remaining = rest;
    while !remaining.is_empty() {
        let inner = remaining.strip_prefix('[')?;
        let end = inner.find(']')?;
        parts.push(inner[..end].to_owned());
        remaining = &inner[end + 1..];
    }
    Some(parts)
}

fn index(text: &str, key: &str) -> Result<usize, MagentoError> {
    text.parse::<usize>()
        .map_err(|_| MagentoError::invalid_field(key, text))
}

fn positive(text: &str, field: &str) -> Result<usize, MagentoError> {
    text.parse::<usize>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| MagentoError::invalid_field(field, text))
}

/// Parses the `searchCriteria` parameters of a query string; other parameters are ignored.
pub fn parse(query: &str) -> Result<SearchCriteria, MagentoError> {
    let mut groups: BTreeMap<usize, BTreeMap<usize, Filter>> = BTreeMap::new();
    let mut sorts: BTreeMap<usize, (String, String)> = BTreeMap::new();
    let mut criteria = SearchCriteria::default();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let Some(parts) = segments(&key) else {
            continue;
        };
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        match parts.as_slice() {
            ["filter_groups" | "filterGroups", g, "filters", f, attribute] => {
                let filter = groups
                    .entry(index(g, &key)?)
                    .or_default()
                    .entry(index(f, &key)?)
                    .or_default();
                match *attribute {
                    "field" => filter.field = value.into_owned(),
                    "value" => filter.value = value.into_owned(),
                    "condition_type" | "conditionType" => filter.condition = value.into_owned(),
                    _ => return Err(MagentoError::invalid_field(&key, &value)),
                }
            }
            ["sort_orders" | "sortOrders", k, attribute] => {
                let sort = sorts.entry(index(k, &key)?).or_default();
                match *attribute {
                    "field" => sort.0 = value.into_owned(),
                    "direction" => sort.1 = value.into_owned(),
                    _ => return Err(MagentoError::invalid_field(&key, &value)),
                }
            }
            ["page_size" | "pageSize"] => {
                criteria.page_size = Some(positive(&value, "searchCriteria[pageSize]")?);
            }
            ["current_page" | "currentPage"] => {
                criteria.current_page = Some(positive(&value, "searchCriteria[currentPage]")?);
            }
            _ => return Err(MagentoError::invalid_field(&key, &value)),
        }
    }
    for group in groups.into_values() {
        let mut filters = Vec::new();
        for mut filter in group.into_values() {
            if filter.field.is_empty() {
                return Err(MagentoError::required_field("field"));
            }
            if filter.condition.is_empty() {
                filter.condition = "eq".to_owned();
            }
            if !CONDITIONS.contains(&filter.condition.as_str()) {
                return Err(MagentoError::invalid_field(
                    "condition_type",
                    &filter.condition,
                ));
            }
            filters.push(filter);
        }
        criteria.filter_groups.push(filters);
    }
    for (field, direction) in sorts.into_values() {
        if field.is_empty() {
            return Err(MagentoError::required_field("field"));
        }
        criteria.sort_orders.push(SortOrder {
            field,
            descending: direction.eq_ignore_ascii_case("DESC"),
        });
    }
    Ok(criteria)
}

/// A field's value as text, for comparisons; `None` for absent or null.
fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn compare(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

fn like(pattern: &str, text: &str) -> bool {
    let pattern = pattern.to_lowercase();
    let text = text.to_lowercase();
    let parts: Vec<&str> = pattern.split('%').collect();
    let mut rest = text.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return part.is_empty() || rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}

/// Whether one filter matches a field's value.
pub fn matches(filter: &Filter, value: Option<&Value>) -> bool {
    let actual = text_of(value);
    let listed = || filter.value.split(',').map(str::trim);
    match (filter.condition.as_str(), actual) {
        ("null", actual) => actual.is_none(),
        ("notnull", actual) => actual.is_some(),
        (_, None) => false,
        ("eq", Some(a)) => compare(&a, &filter.value) == Ordering::Equal,
        ("neq", Some(a)) => compare(&a, &filter.value) != Ordering::Equal,
        ("gt", Some(a)) => compare(&a, &filter.value) == Ordering::Greater,
        ("gteq" | "moreq", Some(a)) => compare(&a, &filter.value) != Ordering::Less,
        ("lt", Some(a)) => compare(&a, &filter.value) == Ordering::Less,
        ("lteq", Some(a)) => compare(&a, &filter.value) != Ordering::Greater,
        ("in", Some(a)) => listed().any(|v| compare(&a, v) == Ordering::Equal),
        ("nin", Some(a)) => !listed().any(|v| compare(&a, v) == Ordering::Equal),
        ("like", Some(a)) => like(&filter.value, &a),
        _ => false,
    }
}

/// How a resource exposes its fields to searches: the searchable field names and where each
/// one is in the record (`entity_id` is `id` in product and customer records).
pub struct Fields<'a> {
    pub allowed: &'a [&'a str],
    pub id_field: &'a str,
}

impl Fields<'_> {
    fn lookup<'r>(&self, record: &'r Value, field: &str) -> Option<&'r Value> {
        let key = if field == "entity_id" {
            self.id_field
        } else {
            field
        };
        record.get(key)
    }

    fn check(&self, field: &str) -> Result<(), MagentoError> {
        if self.allowed.contains(&field) {
            Ok(())
        } else {
            Err(MagentoError::invalid_field("field", field))
        }
    }
}

/// One answered search: the page's records and how many matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub items: Vec<Value>,
    pub total_count: usize,
}

/// Filters, sorts and pages `records` by `criteria`.
pub fn apply(
    criteria: &SearchCriteria,
    fields: &Fields<'_>,
    records: Vec<Value>,
) -> Result<Answer, MagentoError> {
    for filter in criteria.filter_groups.iter().flatten() {
        fields.check(&filter.field)?;
    }
    for sort in &criteria.sort_orders {
        fields.check(&sort.field)?;
    }
    let mut matched: Vec<Value> = records
        .into_iter()
        .filter(|record| {
            criteria.filter_groups.iter().all(|group| {
                group
                    .iter()
                    .any(|f| matches(f, fields.lookup(record, &f.field)))
            })
        })
        .collect();
    let id_of = |r: &Value| r.get(fields.id_field).and_then(Value::as_u64).unwrap_or(0);
    matched.sort_by(|a, b| {
        for sort in &criteria.sort_orders {
            let x = text_of(fields.lookup(a, &sort.field)).unwrap_or_default();
            let y = text_of(fields.lookup(b, &sort.field)).unwrap_or_default();
            let ordering = compare(&x, &y);
            let ordering = if sort.descending {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        id_of(a).cmp(&id_of(b))
    });
    let total_count = matched.len();
    let items = match criteria.page_size {
        None => matched,
        Some(size) => {
            let last_page = total_count.div_ceil(size).max(1);
            // Magento clamps a page past the end to the last page.
            let page = criteria.current_page.unwrap_or(1).min(last_page);
            matched
                .into_iter()
                .skip((page - 1) * size)
                .take(size)
                .collect()
        }
    };
    Ok(Answer { items, total_count })
}

/// The `search_criteria` echo of an answer.
pub fn echo(criteria: &SearchCriteria) -> Value {
    let groups: Vec<Value> = criteria
        .filter_groups
        .iter()
        .map(|g| {
            let filters: Vec<Value> = g
                .iter()
                .map(|f| json!({"field": f.field, "value": f.value, "condition_type": f.condition}))
                .collect();
            json!({ "filters": filters })
        })
        .collect();
    let mut echo = json!({ "filter_groups": groups });
    if !criteria.sort_orders.is_empty() {
        let sorts: Vec<Value> = criteria
            .sort_orders
            .iter()
            .map(|s| json!({"field": s.field, "direction": if s.descending { "DESC" } else { "ASC" }}))
            .collect();
        echo["sort_orders"] = Value::Array(sorts);
    }
    if let Some(size) = criteria.page_size {
        echo["page_size"] = json!(size);
    }
    if let Some(page) = criteria.current_page {
        echo["current_page"] = json!(page);
    }
    echo
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const FIELDS: Fields<'static> = Fields {
        allowed: &["entity_id", "updated_at", "status"],
        id_field: "entity_id",
    };

    fn records() -> Vec<Value> {
        (1..=5u64)
            .map(|i| json!({"entity_id": i, "updated_at": format!("2025-01-01 00:00:0{}", 6 - i / 2), "status": if i % 2 == 0 {"complete"} else {"pending"}}))
            .collect()
    }

    fn ids(answer: &Answer) -> Vec<u64> {
        answer
            .items
            .iter()
            .map(|r| r["entity_id"].as_u64().unwrap())
            .collect()
    }

    #[test]
    fn parses_groups_sorts_and_pages() {
        let q = "searchCriteria%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bfield%5D=status&searchCriteria[filter_groups][0][filters][0][value]=pending&searchCriteria[sortOrders][0][field]=updated_at&searchCriteria[sortOrders][0][direction]=DESC&searchCriteria[pageSize]=2&searchCriteria[currentPage]=3";
        let c = parse(q).unwrap();
        assert_eq!(c.filter_groups[0][0].condition, "eq");
        assert_eq!(c.filter_groups[0][0].value, "pending");
        assert!(c.sort_orders[0].descending);
        assert_eq!((c.page_size, c.current_page), (Some(2), Some(3)));
        assert!(parse("searchCriteria[pageSize]=0").is_err());
        assert!(parse("searchCriteria[filter_groups][0][filters][0][field]=a&searchCriteria[filter_groups][0][filters][0][condition_type]=near").is_err());
    }

    #[test]
    fn ors_within_groups_and_ands_across() {
        let q = "searchCriteria[filter_groups][0][filters][0][field]=updated_at&searchCriteria[filter_groups][0][filters][0][value]=2025-01-01 00:00:05&searchCriteria[filter_groups][0][filters][0][condition_type]=gteq\
                 &searchCriteria[filter_groups][1][filters][0][field]=updated_at&searchCriteria[filter_groups][1][filters][0][value]=2025-01-01 00:00:05&searchCriteria[filter_groups][1][filters][0][condition_type]=gt\
                 &searchCriteria[filter_groups][1][filters][1][field]=entity_id&searchCriteria[filter_groups][1][filters][1][value]=2&searchCriteria[filter_groups][1][filters][1][condition_type]=gt\
                 &searchCriteria[sortOrders][0][field]=updated_at";
        let c = parse(&q.replace(' ', "%20")).unwrap();
        let answer = apply(&c, &FIELDS, records()).unwrap();
        // updated_at: 1 → :06, 2,3 → :05, 4,5 → :04. Keyset after (:05, 2): 3 then 1.
        assert_eq!(ids(&answer), vec![3, 1]);
        assert_eq!(answer.total_count, 2);
    }

    #[test]
    fn a_page_past_the_end_is_the_last_page_again() {
        let mut c = SearchCriteria {
            page_size: Some(2),
            current_page: Some(9),
            ..Default::default()
        };
        let answer = apply(&c, &FIELDS, records()).unwrap();
        assert_eq!(ids(&answer), vec![5]);
        assert_eq!(answer.total_count, 5);
        c.current_page = Some(2);
        assert_eq!(ids(&apply(&c, &FIELDS, records()).unwrap()), vec![3, 4]);
    }

    #[test]
    fn conditions_and_unknown_fields() {
        let f = |condition: &str, value: &str| Filter {
            field: "x".into(),
            value: value.into(),
            condition: condition.into(),
        };
        assert!(matches(&f("in", "3, 7"), Some(&json!(7))));
        assert!(!matches(&f("nin", "3,7"), Some(&json!(3))));
        assert!(matches(
            &f("like", "%shirt%"),
            Some(&json!("Red T-Shirt XL"))
        ));
        assert!(!matches(&f("like", "shirt%"), Some(&json!("T-shirt"))));
        assert!(
            matches(&f("gt", "9"), Some(&json!(10))),
            "numeric, not textual"
        );
        assert!(matches(&f("null", ""), None));
        let c = parse("searchCriteria[filter_groups][0][filters][0][field]=colour&searchCriteria[filter_groups][0][filters][0][value]=1").unwrap();
        let e = apply(&c, &FIELDS, records()).unwrap_err();
        assert_eq!(e.parameters["value"], "colour");
    }
}
