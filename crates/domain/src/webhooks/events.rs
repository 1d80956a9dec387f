//! Event types (`order.created`, `product.updated`, ...) and the filters endpoints
//! subscribe with: an exact type, every type of one entity (`order.*`), or everything (`*`).

use junction_contract::ResourceKind;

/// Every event type a change of the local copy produces.
pub const EVENT_TYPES: [&str; 12] = [
    "order.created",
    "order.updated",
    "order.deleted",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "product.created",
    "product.updated",
    "product.deleted",
    "variation.created",
    "variation.updated",
    "variation.deleted",
];

/// What happened to a record of the local copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It appeared after the endpoint's cursor.
    Created,
    Updated,
    /// The external system no longer holds it (reported by the connector or found by a
    /// reconciliation).
    Deleted,
}

/// The type of the event `junction admin webhooks test` sends.
pub const TEST_EVENT: &str = "webhook.test";

/// The entity name events use for a resource (`orders` → `order`).
pub fn entity(resource: ResourceKind) -> &'static str {
    match resource {
        ResourceKind::Orders => "order",
        ResourceKind::Customers => "customer",
        ResourceKind::Products => "product",
        ResourceKind::Variations => "variation",
    }
}

/// The event type of a change.
pub fn event_type(resource: ResourceKind, change: Change) -> String {
    let action = match change {
        Change::Created => "created",
        Change::Updated => "updated",
        Change::Deleted => "deleted",
    };
    format!("{}.{action}", entity(resource))
}

/// Check and normalise filters: trimmed, known, deduplicated, in the order given. An
/// empty list is refused (subscribe to `*` for everything). The error says what is
/// accepted.
pub fn parse_filters(filters: &[String]) -> Result<Vec<String>, String> {
    if filters.is_empty() {
        return Err("eventTypes must name at least one event type (or `*` for all)".into());
    }
    let mut out: Vec<String> = Vec::new();
    for filter in filters {
        let filter = filter.trim();
        let known = filter == "*"
            || EVENT_TYPES.contains(&filter)
            || filter
                .strip_suffix(".*")
                .is_some_and(|e| ResourceKind::ALL.iter().any(|r| entity(*r) == e));
        if !known {
            return Err(format!(
                "unknown event type `{filter}`; accepted: {}, `<entity>.*` or `*`",
                EVENT_TYPES.join(", ")
            ));
        }
        if !out.iter().any(|f| f == filter) {
            out.push(filter.to_string());
        }
    }
    Ok(out)
}

/// Does any filter select `event_type`?
pub fn matches(filters: &[String], event_type: &str) -> bool {
    filters.iter().any(|f| {
        f == "*"
            || f == event_type
            || f.strip_suffix('*')
                .is_some_and(|prefix| prefix.ends_with('.') && event_type.starts_with(prefix))
    })
}

/// The resources whose changes some filter selects, in sync order.
pub fn resources(filters: &[String]) -> Vec<ResourceKind> {
    ResourceKind::ALL
        .into_iter()
        .filter(|r| {
            [Change::Created, Change::Updated, Change::Deleted]
                .into_iter()
                .any(|change| matches(filters, &event_type(*r, change)))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn filters_select_types_and_resources() {
        let filters =
            parse_filters(&list(&["order.*", " product.updated", "order.created"])).unwrap();
        assert_eq!(filters, ["order.*", "product.updated", "order.created"]);
        assert!(matches(&filters, "order.updated"));
        assert!(matches(&filters, "product.updated"));
        assert!(!matches(&filters, "product.created"));
        assert!(!matches(&filters, "customer.created"));
        assert_eq!(
            resources(&filters),
            [ResourceKind::Orders, ResourceKind::Products]
        );
        assert_eq!(resources(&list(&["*"])), ResourceKind::ALL);
        assert!(matches(&list(&["*"]), TEST_EVENT));
    }

    #[test]
    fn unknown_or_empty_filters_are_refused_with_what_is_accepted() {
        let e = parse_filters(&list(&["invoice.created"])).unwrap_err();
        assert!(
            e.contains("invoice.created") && e.contains("order.created"),
            "{e}"
        );
        assert!(parse_filters(&list(&["invoice.*"])).is_err());
        assert!(parse_filters(&list(&["order"])).is_err());
        assert!(parse_filters(&[]).unwrap_err().contains("at least one"));
    }
}
