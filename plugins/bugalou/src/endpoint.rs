//! Where the connection's order writes go: Bugalou documents two endpoints that take the
//! same order fields, the Orders API's upsert (`POST /api/v1/orders`) and the endpoint it
//! offers for Zapier integrations (`POST /api/zapier/order`). The connection config picks
//! one (`endpoint`); reads always use the Orders API, the only one that lists.

use junction_sdk::http::Url;
use serde::Deserialize;

/// The config values of `endpoint`, in the schema's order.
pub const ENDPOINT_NAMES: [&str; 2] = ["orders", "zapier"];

/// The endpoint an order write is sent to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteEndpoint {
    /// `POST /api/v1/orders`: the Orders API's upsert by platform + order number.
    #[default]
    Orders,
    /// `POST /api/zapier/order`: "same fields as above", for Zapier integrations.
    Zapier,
}

impl WriteEndpoint {
    /// The path of the endpoint below Bugalou's origin.
    pub fn path(self) -> &'static str {
        match self {
            Self::Orders => "/api/v1/orders",
            Self::Zapier => "/api/zapier/order",
        }
    }

    /// The endpoint's URL below `origin`: Bugalou's origin, possibly with a proxy's path
    /// prefix (kept in front of the endpoint's path).
    pub fn url(self, origin: &Url) -> Url {
        let mut url = origin.clone();
        let prefix = origin.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{prefix}{}", self.path()));
        url
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn each_endpoint_has_its_documented_path_below_the_origin() {
        let origin = Url::parse("http://127.0.0.1:9/proxy/").unwrap();
        assert_eq!(
            WriteEndpoint::Orders
                .url(&Url::parse("https://app.bugalou.com").unwrap())
                .to_string(),
            "https://app.bugalou.com/api/v1/orders"
        );
        assert_eq!(
            WriteEndpoint::Orders.url(&origin).to_string(),
            "http://127.0.0.1:9/proxy/api/v1/orders"
        );
        assert_eq!(
            WriteEndpoint::Zapier.url(&origin).to_string(),
            "http://127.0.0.1:9/proxy/api/zapier/order"
        );
        assert_eq!(WriteEndpoint::default(), WriteEndpoint::Orders);
    }

    #[test]
    fn the_names_are_the_serde_names() {
        for (name, endpoint) in ENDPOINT_NAMES
            .iter()
            .zip([WriteEndpoint::Orders, WriteEndpoint::Zapier])
        {
            let parsed: WriteEndpoint = serde_json::from_str(&format!("{name:?}")).unwrap();
            assert_eq!(parsed, endpoint);
        }
    }
}
