//! What the Runtime API accepts, described for the OpenAPI document: the list parameters and
//! the write bodies. The handlers read these field by field (`params`, `runtime_api`) so that
//! a refusal names the field and what is accepted; these types are the description of that
//! reading. Schemathesis (`cargo xtask api-fuzz`, part of the test command) keeps the two
//! together: it sends requests generated from these descriptions, and the handlers must take
//! every valid one and refuse every invalid one with a 4xx.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

// ---- Runtime API list parameters ---------------------------------------------------------

/// The parameters every Runtime API list accepts (anything else is refused with a 400).
///
/// The recipe — walk `page=1..` until `hasMore=false`, keep the largest `modifiedAt` seen,
/// pass it as `updatedSince` next run — loses nothing however records change meanwhile:
/// `modifiedAt` is when the local copy changed the record (not the external system's time,
/// which is `sourceModifiedAt`), strictly later for every later change of the connection's
/// copy and never visible before an earlier one; page `n` is a fixed window of the
/// resource's change order, so a record that changes during a walk leaves a hole in its
/// window (a page may hold fewer than `pageSize` records) and appears again later in the
/// walk, and every other record keeps its page. Records appear twice in one walk only when
/// they changed again.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Page number, from 1 (default 1): a fixed window of `pageSize` places in the
    /// resource's change order after `updatedSince` (with `status`, the n-th `pageSize`
    /// matching records instead: a status-filtered list is a moving set). Not together with
    /// `cursor`.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Records per page, 1-500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub page_size: Option<i64>,
    /// Only records the local copy changed after this RFC 3339 / ISO 8601 timestamp
    /// (exclusive): pass the largest `modifiedAt` of the previous run.
    #[param(format = DateTime)]
    pub updated_since: Option<String>,
    /// A `nextCursor` from a previous page: the records after that place in the change
    /// order (no gaps while records change; a record that changed again reappears later).
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

// ---- Runtime API request bodies ----------------------------------------------------------

/// `POST .../orders/{id}/status`.
#[derive(Serialize, ToSchema)]
pub struct StatusBody {
    /// The target system's status word, e.g. `completed`.
    #[schema(example = "completed", min_length = 1, pattern = r"\S")]
    pub status: String,
}

/// `POST .../orders/{id}/tracking`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrackingBody {
    /// The carrier's tracking number (non-empty).
    #[schema(min_length = 1, pattern = r"\S")]
    pub tracking_number: String,
    /// The carrier, e.g. `bpost` or `DHL`.
    pub tracking_provider: Option<String>,
    /// A URL where the recipient can follow the shipment.
    pub tracking_url: Option<String>,
    /// When the shipment left (RFC 3339).
    pub shipped_at: Option<String>,
}

/// A stock level: a whole number, also accepted as a string of digits.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum StockQuantity {
    Integer(i64),
    Digits(String),
}

/// `POST .../stock` (products and variations).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockBody {
    pub stock_quantity: StockQuantity,
}

/// A non-negative money amount: a JSON number or a decimal string such as `"19.99"`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Money {
    Number(f64),
    Decimal(String),
}

/// `POST .../price` (products and variations).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceBody {
    /// The new regular price.
    pub price: Money,
    /// Omitted or null: the system's sale price stays as it is (on WooCommerce the selling
    /// price is then the sale price while it is below the new regular price, else the
    /// regular price). A decimal sets it; `""` ends the sale.
    pub sale_price: Option<Money>,
}
