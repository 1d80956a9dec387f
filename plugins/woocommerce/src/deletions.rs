//! Deletions in WooCommerce: what the connector reports, and the ids-only scan.
//!
//! Orders and products go to the trash first (status `trash`, `date_modified` moves on;
//! `status=any` listings leave them out). An incremental listing therefore asks, on its
//! first page, for the records trashed since `updated-since` (`status=trash&_fields=id`)
//! and reports them in `page.deleted`. A permanent delete (`force=true`), and every deleted
//! customer or variation, leaves no trace: the host's reconciliation finds those, which is
//! why the manifest declares orders and products `reported` *and* `reconciliation`.
//!
//! The reconciliation's scan asks for ids only: `_fields=id`, in id order, paged by
//! `offset`. Records created during the scan get higher ids and land at the end; a record
//! deleted during it shifts later ones back by one, so one may be skipped, which only makes
//! it a candidate the host confirms with `get` (never a wrong deletion).

use junction_sdk::http::Client;
use junction_sdk::paging::{decode_cursor, encode_cursor};
use junction_sdk::time;
use junction_sdk::types::{ConnectorError, ListRequest, Page, ResourceKind};
use serde::{Deserialize, Serialize};

/// WooCommerce's largest page.
const PER_PAGE: u32 = 100;
/// Pages of trashed ids one listing call reads at most (10,000 records trashed between two
/// syncs); past that the reconciliation finds the rest.
const MAX_TRASH_PAGES: usize = 100;

/// Whether the system reports this resource's deletions (the trash).
pub fn has_trash(resource: ResourceKind) -> bool {
    matches!(resource, ResourceKind::Orders | ResourceKind::Products)
}

/// Where an ids-only scan is: the listing it belongs to and the next offset.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct IdsCursor {
    ids_of: String,
    offset: u64,
}

#[derive(Deserialize)]
struct IdOnly {
    id: u64,
}

/// Ids of the records of `segments` (a collection) trashed since `since`.
pub fn trashed_since(
    client: &Client,
    segments: &[String],
    since: jiff::Timestamp,
) -> Result<Vec<String>, ConnectorError> {
    // WooCommerce compares whole seconds; one second earlier never misses the boundary.
    let after = time::format_naive_utc(time::minus_seconds(since, 1));
    let mut ids = Vec::new();
    for page in 1..=MAX_TRASH_PAGES {
        let rows: Vec<IdOnly> = client
            .get(segments)
            .query("status", "trash")
            .query("modified_after", &after)
            .query("dates_are_gmt", "true")
            .query("_fields", "id")
            .query("per_page", PER_PAGE)
            .query("page", page)
            .query("orderby", "id")
            .query("order", "asc")
            .send_ok()?
            .json()?;
        let last = rows.len() < PER_PAGE as usize;
        ids.extend(rows.into_iter().map(|r| r.id.to_string()));
        if last {
            break;
        }
    }
    Ok(ids)
}

/// One page of an ids-only scan of `segments`, named `listing` in its cursor.
pub fn ids_page(
    client: &Client,
    segments: &[String],
    listing: &str,
    request: &ListRequest,
) -> Result<Page, ConnectorError> {
    let offset = match request.cursor.as_deref() {
        None => 0,
        Some(c) => {
            let cursor: IdsCursor = decode_cursor(c)?;
            if cursor.ids_of != listing {
                return Err(ConnectorError::invalid_request(format!(
                    "invalid cursor: it belongs to the ids of {:?}, not {listing:?}",
                    cursor.ids_of
                )));
            }
            cursor.offset
        }
    };
    let per_page = request.page_size.clamp(1, PER_PAGE);
    // No `status`: WooCommerce's default (`any`) leaves the trash out, as the sync's listing.
    let rows: Vec<IdOnly> = client
        .get(segments)
        .query("_fields", "id")
        .query("per_page", per_page)
        .query("offset", offset)
        .query("orderby", "id")
        .query("order", "asc")
        .send_ok()?
        .json()?;
    let next = (rows.len() == per_page as usize)
        .then(|| {
            encode_cursor(&IdsCursor {
                ids_of: listing.to_string(),
                offset: offset + rows.len() as u64,
            })
        })
        .transpose()?;
    Ok(Page::of_ids(
        rows.into_iter().map(|r| r.id.to_string()).collect(),
        next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trash_is_reported_for_orders_and_products_only() {
        assert!(has_trash(ResourceKind::Orders));
        assert!(has_trash(ResourceKind::Products));
        assert!(!has_trash(ResourceKind::Customers));
        assert!(!has_trash(ResourceKind::Variations));
    }

    #[test]
    fn an_ids_cursor_names_its_listing() {
        let c = IdsCursor {
            ids_of: "orders".into(),
            offset: 200,
        };
        let encoded = encode_cursor(&c).map_err(|e| format!("{e:?}"));
        let back: Result<IdsCursor, _> = decode_cursor(&encoded.unwrap_or_default());
        assert!(matches!(back, Ok(b) if b == c));
    }
}
