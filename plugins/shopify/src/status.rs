//! Junction's order statuses on Shopify, which has no single status field: an order is
//! open or closed (archived), may be cancelled, and is unfulfilled, partially or wholly
//! fulfilled. Reads compose one word; `order-status` writes map a word to mutations.
//!
//! | Status read (first that applies)         | word                    |
//! |------------------------------------------|-------------------------|
//! | `cancelledAt` set                        | `cancelled`             |
//! | `closed` and `FULFILLED`                 | `completed`             |
//! | `closed`                                 | `closed`                |
//! | otherwise                                | `displayFulfillmentStatus` lowercased: `unfulfilled`, `fulfilled`, `partially_fulfilled`, `on_hold`, ... |
//!
//! | Status written                           | Shopify                                      |
//! |------------------------------------------|----------------------------------------------|
//! | `completed`                              | fulfil every open fulfillment order (no tracking), then `orderClose` |
//! | `fulfilled`, `shipped`                   | fulfil every open fulfillment order          |
//! | `closed`, `archived`                     | `orderClose`                                 |
//! | `open`, `reopened`, `processing`, `unfulfilled` | `orderOpen` (a closed order is reopened; fulfilments stay) |
//! | `cancelled`, `canceled`                  | `orderCancel` (reason `OTHER`, restock, no refund, customer not notified) |
//! | anything else (`pending`, `on-hold`, `refunded`, `failed`, ...) | `invalid-request`: Shopify derives payment states and holds from other records |

use junction_sdk::types::ConnectorError;

/// What an `order-status` write does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusWrite {
    /// Fulfil what is open, then close.
    Complete,
    /// Fulfil what is open.
    Fulfil,
    /// `orderClose`.
    Close,
    /// `orderOpen`.
    Open,
    /// `orderCancel`.
    Cancel,
}

/// The words [`StatusWrite::parse`] takes.
pub const WRITABLE: &[&str] = &[
    "completed",
    "fulfilled",
    "shipped",
    "closed",
    "archived",
    "open",
    "reopened",
    "processing",
    "unfulfilled",
    "cancelled",
    "canceled",
];

impl StatusWrite {
    /// The write for a status word (case and surrounding spaces ignored).
    pub fn parse(status: &str) -> Result<Self, ConnectorError> {
        match status.trim().to_ascii_lowercase().as_str() {
            "completed" => Ok(Self::Complete),
            "fulfilled" | "shipped" => Ok(Self::Fulfil),
            "closed" | "archived" => Ok(Self::Close),
            "open" | "reopened" | "processing" | "unfulfilled" => Ok(Self::Open),
            "cancelled" | "canceled" => Ok(Self::Cancel),
            other => Err(ConnectorError::invalid_request(format!(
                "status: Shopify orders cannot be set to {other:?}; it takes {}",
                WRITABLE.join(", ")
            ))),
        }
    }
}

/// The status word of an order read from Shopify.
pub fn read_status(cancelled: bool, closed: bool, fulfillment_status: Option<&str>) -> String {
    let fulfillment = fulfillment_status.map(str::to_ascii_lowercase);
    if cancelled {
        "cancelled".into()
    } else if closed && fulfillment.as_deref() == Some("fulfilled") {
        "completed".into()
    } else if closed {
        "closed".into()
    } else {
        fulfillment.unwrap_or_else(|| "open".into())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn writes_map_as_documented() {
        assert_eq!(
            StatusWrite::parse("completed").unwrap(),
            StatusWrite::Complete
        );
        assert_eq!(
            StatusWrite::parse(" Shipped ").unwrap(),
            StatusWrite::Fulfil
        );
        assert_eq!(StatusWrite::parse("archived").unwrap(), StatusWrite::Close);
        assert_eq!(StatusWrite::parse("processing").unwrap(), StatusWrite::Open);
        assert_eq!(StatusWrite::parse("canceled").unwrap(), StatusWrite::Cancel);
        for word in WRITABLE {
            assert!(StatusWrite::parse(word).is_ok(), "{word}");
        }
        match StatusWrite::parse("on-hold").unwrap_err() {
            ConnectorError::InvalidRequest(m) => {
                assert!(m.contains("\"on-hold\"") && m.contains("completed"), "{m}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_compose_one_word() {
        assert_eq!(read_status(true, true, Some("UNFULFILLED")), "cancelled");
        assert_eq!(read_status(false, true, Some("FULFILLED")), "completed");
        assert_eq!(read_status(false, true, Some("UNFULFILLED")), "closed");
        assert_eq!(
            read_status(false, false, Some("PARTIALLY_FULFILLED")),
            "partially_fulfilled"
        );
        assert_eq!(read_status(false, false, None), "open");
    }
}
