//! Building Magento's `searchCriteria` query parameters:
//! `searchCriteria[filter_groups][i][filters][j][field|value|condition_type]` (filters in a
//! group are ORed, groups are ANDed), `searchCriteria[sortOrders][k][field|direction]`,
//! `searchCriteria[pageSize]`, `searchCriteria[currentPage]`; and `fields`, Magento's
//! answer trimming (`items[id,updated_at],total_count`).

/// One filter: `field condition value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub field: &'static str,
    pub condition: &'static str,
    pub value: String,
}

impl Filter {
    /// A filter.
    pub fn new(field: &'static str, condition: &'static str, value: impl Into<String>) -> Self {
        Self {
            field,
            condition,
            value: value.into(),
        }
    }
}

/// A search: groups of ORed filters, ANDed together; ascending sort fields; paging.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Search {
    pub groups: Vec<Vec<Filter>>,
    pub sort_ascending: Vec<&'static str>,
    pub page_size: Option<u32>,
    pub current_page: Option<u32>,
    /// The `fields` parameter: only these fields in the answer.
    pub fields: Option<String>,
}

impl Search {
    /// Adds a group of ORed filters (ANDed with the others).
    pub fn group(mut self, filters: Vec<Filter>) -> Self {
        if !filters.is_empty() {
            self.groups.push(filters);
        }
        self
    }

    /// The query parameters, in a stable order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            for (f, filter) in group.iter().enumerate() {
                let key = |part: &str| {
                    format!("searchCriteria[filter_groups][{g}][filters][{f}][{part}]")
                };
                pairs.push((key("field"), filter.field.to_owned()));
                pairs.push((key("value"), filter.value.clone()));
                pairs.push((key("condition_type"), filter.condition.to_owned()));
            }
        }
        for (k, field) in self.sort_ascending.iter().enumerate() {
            pairs.push((
                format!("searchCriteria[sortOrders][{k}][field]"),
                (*field).to_owned(),
            ));
            pairs.push((
                format!("searchCriteria[sortOrders][{k}][direction]"),
                "ASC".to_owned(),
            ));
        }
        if let Some(size) = self.page_size {
            pairs.push(("searchCriteria[pageSize]".to_owned(), size.to_string()));
        }
        if let Some(page) = self.current_page {
            pairs.push(("searchCriteria[currentPage]".to_owned(), page.to_string()));
        }
        if let Some(fields) = &self.fields {
            pairs.push(("fields".to_owned(), fields.clone()));
        }
        pairs
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn writes_magentos_bracketed_parameters() {
        let search = Search {
            sort_ascending: vec!["updated_at", "entity_id"],
            page_size: Some(50),
            current_page: Some(1),
            fields: Some("items[id],total_count".into()),
            ..Default::default()
        }
        .group(vec![Filter::new(
            "updated_at",
            "gteq",
            "2025-01-01 00:00:00",
        )])
        .group(vec![])
        .group(vec![
            Filter::new("updated_at", "gt", "T"),
            Filter::new("entity_id", "gt", "7"),
        ]);
        let pairs = search.query_pairs();
        let text: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            text,
            vec![
                "searchCriteria[filter_groups][0][filters][0][field]=updated_at",
                "searchCriteria[filter_groups][0][filters][0][value]=2025-01-01 00:00:00",
                "searchCriteria[filter_groups][0][filters][0][condition_type]=gteq",
                "searchCriteria[filter_groups][1][filters][0][field]=updated_at",
                "searchCriteria[filter_groups][1][filters][0][value]=T",
                "searchCriteria[filter_groups][1][filters][0][condition_type]=gt",
                "searchCriteria[filter_groups][1][filters][1][field]=entity_id",
                "searchCriteria[filter_groups][1][filters][1][value]=7",
                "searchCriteria[filter_groups][1][filters][1][condition_type]=gt",
                "searchCriteria[sortOrders][0][field]=updated_at",
                "searchCriteria[sortOrders][0][direction]=ASC",
                "searchCriteria[sortOrders][1][field]=entity_id",
                "searchCriteria[sortOrders][1][direction]=ASC",
                "searchCriteria[pageSize]=50",
                "searchCriteria[currentPage]=1",
                "fields=items[id],total_count",
            ]
        );
    }
}
