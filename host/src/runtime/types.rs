//! The canonical types of the `junction:connector` contract as host-side Rust values,
//! generated from `wit/connector.wit`. They derive serde so the rest of the host can store
//! and print them without touching wasmtime.

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../wit",
    exports: { default: async },
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
    },
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

pub use self::junction::connector::host::LogLevel;
pub use self::junction::connector::types::*;

impl ResourceKind {
    /// All resources, in the order Junction syncs them.
    pub const ALL: [ResourceKind; 4] = [
        ResourceKind::Orders,
        ResourceKind::Customers,
        ResourceKind::Products,
        ResourceKind::Variations,
    ];

    /// The resource's name as used in URLs, the CLI and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Orders => "orders",
            ResourceKind::Customers => "customers",
            ResourceKind::Products => "products",
            ResourceKind::Variations => "variations",
        }
    }

    /// Parse a resource name; the error lists what is accepted.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| {
                format!("unknown resource `{name}`: expected one of orders, customers, products, variations")
            })
    }
}

impl WriteKind {
    pub const ALL: [WriteKind; 9] = [
        WriteKind::OrderStatus,
        WriteKind::OrderTracking,
        WriteKind::ProductStock,
        WriteKind::ProductPrice,
        WriteKind::VariationStock,
        WriteKind::VariationPrice,
        WriteKind::UpsertOrder,
        WriteKind::UpsertCustomer,
        WriteKind::UpsertProduct,
    ];

    /// The write's name as used in the manifest listing, the CLI and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteKind::OrderStatus => "order-status",
            WriteKind::OrderTracking => "order-tracking",
            WriteKind::ProductStock => "product-stock",
            WriteKind::ProductPrice => "product-price",
            WriteKind::VariationStock => "variation-stock",
            WriteKind::VariationPrice => "variation-price",
            WriteKind::UpsertOrder => "upsert-order",
            WriteKind::UpsertCustomer => "upsert-customer",
            WriteKind::UpsertProduct => "upsert-product",
        }
    }
}

impl WriteOp {
    /// Which write capability this operation needs.
    pub fn kind(&self) -> WriteKind {
        match self {
            WriteOp::OrderStatus(_) => WriteKind::OrderStatus,
            WriteOp::OrderTracking(_) => WriteKind::OrderTracking,
            WriteOp::ProductStock(_) => WriteKind::ProductStock,
            WriteOp::ProductPrice(_) => WriteKind::ProductPrice,
            WriteOp::VariationStock(_) => WriteKind::VariationStock,
            WriteOp::VariationPrice(_) => WriteKind::VariationPrice,
            WriteOp::UpsertOrder(_) => WriteKind::UpsertOrder,
            WriteOp::UpsertCustomer(_) => WriteKind::UpsertCustomer,
            WriteOp::UpsertProduct(_) => WriteKind::UpsertProduct,
        }
    }
}

impl Entity {
    /// The record's id in the external system.
    pub fn external_id(&self) -> &str {
        match self {
            Entity::Order(o) => &o.external_id,
            Entity::Customer(c) => &c.external_id,
            Entity::Product(p) => &p.external_id,
            Entity::Variation(v) => &v.external_id,
        }
    }

    /// When the record last changed (RFC 3339 UTC).
    pub fn modified_at(&self) -> &str {
        match self {
            Entity::Order(o) => &o.modified_at,
            Entity::Customer(c) => &c.modified_at,
            Entity::Product(p) => &p.modified_at,
            Entity::Variation(v) => &v.modified_at,
        }
    }

    /// Which resource the record belongs to.
    pub fn kind(&self) -> ResourceKind {
        match self {
            Entity::Order(_) => ResourceKind::Orders,
            Entity::Customer(_) => ResourceKind::Customers,
            Entity::Product(_) => ResourceKind::Products,
            Entity::Variation(_) => ResourceKind::Variations,
        }
    }
}

impl ConnectorError {
    /// A one-line explanation for people (bindgen's `Display` is the debug form).
    pub fn describe(&self) -> String {
        match self {
            ConnectorError::Unauthorized(m) => format!("unauthorized: {m}"),
            ConnectorError::NotFound(m) => format!("not found: {m}"),
            ConnectorError::RateLimited(r) => {
                format!(
                    "rate limited (retry after {} ms): {}",
                    r.retry_after_ms, r.message
                )
            }
            ConnectorError::Unsupported(m) => format!("unsupported: {m}"),
            ConnectorError::InvalidRequest(m) => format!("invalid request: {m}"),
            ConnectorError::InvalidConfig(p) => match &p.field {
                Some(field) => format!("invalid config field `{field}`: {}", p.message),
                None => format!("invalid config: {}", p.message),
            },
            ConnectorError::Upstream(u) => format!("upstream error {}: {}", u.status, u.message),
            ConnectorError::Transport(m) => format!("transport error: {m}"),
            ConnectorError::Internal(m) => format!("connector internal error: {m}"),
        }
    }
}
