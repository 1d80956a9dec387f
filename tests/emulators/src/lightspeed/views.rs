//! Records as Lightspeed serves them: `id`, `createdAt`, `updatedAt` (ISO 8601 with a
//! `+00:00` offset) and the stored fields, each nested `{"resource": {"id", "url"}}` link
//! completed with its absolute `link` (`https://api.webshopapp.com/nl/customers/5.json`).
//! Fields whose name starts with `_` are the emulator's own bookkeeping and never served.

use serde_json::{Map, Value};

use super::store::Record;
use crate::woocommerce::format_wc;

/// An instant as Lightspeed formats it: `2025-01-01T00:00:00+00:00`.
pub fn format_date(secs: i64) -> String {
    format!("{}+00:00", format_wc(secs))
}

/// Adds the absolute `link` to a `{"resource": {"url": ...}}` value; `api_root` is
/// `{origin}/{lang}/`. Lists (`variants?product=7`) get `.json` before the query.
pub(crate) fn complete_link(value: &mut Value, api_root: &str) {
    let Some(resource) = value.get_mut("resource").and_then(Value::as_object_mut) else {
        return;
    };
    let Some(url) = resource.get("url").and_then(Value::as_str) else {
        return;
    };
    let link = match url.split_once('?') {
        Some((path, query)) => format!("{api_root}{path}.json?{query}"),
        None => format!("{api_root}{url}.json"),
    };
    resource.insert("link".into(), Value::String(link));
}

/// The JSON of one record.
pub(crate) fn render(record: &Record, api_root: &str) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), Value::from(record.id));
    out.insert(
        "createdAt".into(),
        Value::String(format_date(record.created)),
    );
    out.insert(
        "updatedAt".into(),
        Value::String(format_date(record.updated)),
    );
    for (name, value) in &record.fields {
        if name.starts_with('_') {
            continue;
        }
        let mut value = value.clone();
        complete_link(&mut value, api_root);
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_dates_links_and_hides_bookkeeping() {
        let record = Record {
            id: 7,
            created: 1_735_689_600,
            updated: 1_735_689_661,
            fields: json!({
                "title": "A",
                "_products": [],
                "variants": {"resource": {"id": false, "url": "variants?product=7"}},
                "customer": {"resource": {"id": 3, "url": "customers/3"}},
            })
            .as_object()
            .unwrap()
            .clone(),
        };
        let v = render(&record, "http://h/nl/");
        assert_eq!(v["createdAt"], "2025-01-01T00:00:00+00:00");
        assert_eq!(v["updatedAt"], "2025-01-01T00:01:01+00:00");
        assert_eq!(
            v["variants"]["resource"]["link"],
            "http://h/nl/variants.json?product=7"
        );
        assert_eq!(
            v["customer"]["resource"]["link"],
            "http://h/nl/customers/3.json"
        );
        assert!(v.get("_products").is_none());
    }
}
