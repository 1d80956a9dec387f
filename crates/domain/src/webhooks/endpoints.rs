//! Endpoint management behind the admin API: validation (URL, filters, connection),
//! secrets (generated, sealed with the vault bound to the endpoint id, shown once),
//! starting cursors at the feed's current end (no replay of history), rotation with an
//! overlap during which both secrets sign, and test events.

use serde_json::json;

use super::events::{self, TEST_EVENT};
use super::signing::{self, SigningError};
use crate::hub::Hub;
use crate::secrets::SecretError;
use junction_contract::ResourceKind;
use junction_runtime::egress::is_public;
use junction_store::webhooks::{
    CursorStart, NewDelivery, NewEndpoint, WebhookDelivery, WebhookEndpoint,
};
use junction_store::{StoreError, new_id, now_ms};

/// Why an endpoint operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("webhook secret: {0}")]
    Secrets(#[from] SecretError),
    #[error(transparent)]
    Signing(#[from] SigningError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> EndpointError {
    EndpointError::Invalid {
        field,
        message: message.into(),
    }
}

/// What an endpoint should be (before validation).
#[derive(Debug, Clone)]
pub struct EndpointSpec {
    pub tenant_id: String,
    pub connection_id: Option<String>,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
}

/// Longest description accepted.
const MAX_DESCRIPTION: usize = 1_000;

/// A webhook URL: absolute http(s) with a host; loopback and private destinations only
/// when `allow_private` (names are checked again, after resolution, at every attempt).
pub fn check_url(url: &str, allow_private: bool) -> Result<String, EndpointError> {
    let url = url.trim();
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| invalid("url", format!("url `{url}` is not an absolute URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(
            "url",
            format!("url must be http or https, not `{}`", parsed.scheme()),
        ));
    }
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
        return Err(invalid("url", "url must name a host"));
    };
    if !allow_private && is_private_host(host) {
        return Err(invalid(
            "url",
            format!(
                "url host `{host}` is loopback, private or otherwise non-public, and private networks are not allowed (set sandbox.allow_private_networks to permit)"
            ),
        ));
    }
    Ok(parsed.to_string())
}

/// An IP literal that is not public, or a name that always means this machine.
fn is_private_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => !is_public(ip),
        Err(_) => {
            let name = bare.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

impl EndpointSpec {
    /// Validate everything; the error names the field.
    async fn check(mut self, hub: &Hub) -> Result<Self, EndpointError> {
        let allow_private = hub.registry.runtime().limits().allow_private_networks;
        self.url = check_url(&self.url, allow_private)?;
        self.event_types =
            events::parse_filters(&self.event_types).map_err(|m| invalid("eventTypes", m))?;
        self.description = self.description.trim().to_string();
        if self.description.chars().count() > MAX_DESCRIPTION {
            return Err(invalid(
                "description",
                format!("description must be at most {MAX_DESCRIPTION} characters"),
            ));
        }
        if let Some(connection_id) = &self.connection_id {
            let belongs = match hub.store.connection(connection_id).await {
                Ok(c) => c.tenant_id == self.tenant_id,
                Err(StoreError::NotFound { .. }) => false,
                Err(e) => return Err(e.into()),
            };
            if !belongs {
                return Err(invalid(
                    "connection",
                    format!("the tenant has no connection `{connection_id}`"),
                ));
            }
        }
        Ok(self)
    }
}

/// The connections an endpoint covers.
async fn covered_connections(
    hub: &Hub,
    tenant_id: &str,
    connection_id: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    Ok(match connection_id {
        Some(id) => vec![id.to_string()],
        None => hub
            .store
            .connections(Some(tenant_id))
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect(),
    })
}

/// Cursors at the current end of the feed for every covered pair not in `already`.
async fn starts_at_latest(
    hub: &Hub,
    connections: &[String],
    resources: &[ResourceKind],
    already: &[(String, ResourceKind)],
) -> Result<Vec<CursorStart>, StoreError> {
    let mut starts = Vec::new();
    for connection_id in connections {
        let latest = hub.store.latest_change_seq(connection_id).await?;
        for resource in resources {
            if !already.contains(&(connection_id.clone(), *resource)) {
                starts.push(CursorStart {
                    connection_id: connection_id.clone(),
                    resource: *resource,
                    change_seq: latest,
                });
            }
        }
    }
    Ok(starts)
}

/// Create an endpoint. Returns it and its secret — the only time the secret is shown.
pub async fn create(
    hub: &Hub,
    spec: EndpointSpec,
) -> Result<(WebhookEndpoint, String), EndpointError> {
    let spec = spec.check(hub).await?;
    let id = new_id();
    let secret = signing::generate_secret()?;
    let sealed = hub.vault.seal(secret.as_bytes(), &id)?;
    let connections =
        covered_connections(hub, &spec.tenant_id, spec.connection_id.as_deref()).await?;
    let cursors = starts_at_latest(
        hub,
        &connections,
        &events::resources(&spec.event_types),
        &[],
    )
    .await?;
    let endpoint = hub
        .store
        .create_webhook_endpoint(
            NewEndpoint {
                id: &id,
                tenant_id: &spec.tenant_id,
                connection_id: spec.connection_id.as_deref(),
                url: &spec.url,
                description: &spec.description,
                event_types: &spec.event_types,
                enabled: spec.enabled,
                sealed_secret: &sealed,
            },
            &cursors,
        )
        .await?;
    tracing::info!(endpoint = %endpoint.id, tenant = %endpoint.tenant_id, url = %endpoint.url, "webhook endpoint created");
    Ok((endpoint, secret))
}

/// Change an endpoint's URL, description, filters or enabled flag. Connections and
/// resources it newly covers start at the feed's current end (no replay of history).
pub async fn update(
    hub: &Hub,
    current: &WebhookEndpoint,
    spec: EndpointSpec,
) -> Result<WebhookEndpoint, EndpointError> {
    let spec = spec.check(hub).await?;
    let old_pairs: Vec<(String, ResourceKind)> = {
        let connections =
            covered_connections(hub, &current.tenant_id, current.connection_id.as_deref()).await?;
        let resources = events::resources(&current.event_types);
        connections
            .iter()
            .flat_map(|c| resources.iter().map(move |r| (c.clone(), *r)))
            .collect()
    };
    let connections =
        covered_connections(hub, &spec.tenant_id, spec.connection_id.as_deref()).await?;
    let cursors = starts_at_latest(
        hub,
        &connections,
        &events::resources(&spec.event_types),
        &old_pairs,
    )
    .await?;
    let changed = WebhookEndpoint {
        connection_id: spec.connection_id,
        url: spec.url,
        description: spec.description,
        event_types: spec.event_types,
        enabled: spec.enabled,
        ..current.clone()
    };
    Ok(hub
        .store
        .update_webhook_endpoint(&changed, &cursors)
        .await?)
}

/// Replace an endpoint's secret. The old one keeps signing alongside for `overlap_secs`
/// (0: stops at once), so receivers can switch without dropping events. Returns the new
/// secret — shown only this once.
pub async fn rotate_secret(
    hub: &Hub,
    id: &str,
    overlap_secs: i64,
) -> Result<(WebhookEndpoint, String), EndpointError> {
    if !(0..=7 * 24 * 3600).contains(&overlap_secs) {
        return Err(invalid(
            "overlapSeconds",
            "overlapSeconds must be between 0 and 604800 (one week)",
        ));
    }
    let endpoint = hub.store.webhook_endpoint(id).await?;
    let secret = signing::generate_secret()?;
    let sealed = hub.vault.seal(secret.as_bytes(), id)?;
    let rotated = hub
        .store
        .rotate_webhook_secret(
            id,
            &sealed,
            &endpoint.sealed_secret,
            now_ms() + overlap_secs * 1000,
        )
        .await?;
    tracing::info!(endpoint = %id, overlap_secs, "webhook secret rotated");
    Ok((rotated, secret))
}

/// The HMAC keys an attempt signs with now: the current secret, and the previous one
/// while its overlap lasts.
pub fn signing_keys(hub: &Hub, endpoint: &WebhookEndpoint) -> Result<Vec<Vec<u8>>, EndpointError> {
    let open = |sealed: &str| -> Result<Vec<u8>, EndpointError> {
        let secret = hub.vault.open(sealed, &endpoint.id)?;
        let secret =
            String::from_utf8(secret).map_err(|_| SigningError::Malformed("not UTF-8".into()))?;
        Ok(signing::secret_key(&secret)?)
    };
    let mut keys = vec![open(&endpoint.sealed_secret)?];
    if let (Some(previous), Some(until)) = (
        &endpoint.sealed_previous_secret,
        endpoint.previous_secret_until_ms,
    ) && until > now_ms()
    {
        keys.push(open(previous)?);
    }
    Ok(keys)
}

/// Queue a `webhook.test` event for an endpoint (whatever its filters) and wake the
/// workers.
pub async fn send_test_event(hub: &Hub, id: &str) -> Result<WebhookDelivery, EndpointError> {
    let endpoint = hub.store.webhook_endpoint(id).await?;
    let delivery_id = new_delivery_id();
    let payload = json!({
        "type": TEST_EVENT,
        "timestamp": jiff::Timestamp::now().to_string(),
        "data": {
            "tenantId": endpoint.tenant_id,
            "endpointId": endpoint.id,
            "message": "a test event sent by `junction admin webhooks test`",
        },
    });
    hub.store
        .insert_webhook_delivery(&NewDelivery {
            id: delivery_id.clone(),
            endpoint_id: endpoint.id.clone(),
            event_type: TEST_EVENT.to_string(),
            connection_id: None,
            resource: None,
            external_id: None,
            change_seq: None,
            payload: payload.to_string(),
        })
        .await?;
    super::wake();
    Ok(hub.store.webhook_delivery(&delivery_id).await?)
}

/// Delete an endpoint (its deliveries go with it).
pub async fn delete(hub: &Hub, id: &str) -> Result<(), EndpointError> {
    hub.store.delete_webhook_endpoint(id).await?;
    tracing::info!(endpoint = %id, "webhook endpoint deleted");
    Ok(())
}

/// Retry a delivery by hand (failed or not): due now, attempts kept, the worker woken.
pub async fn retry_delivery(hub: &Hub, id: &str) -> Result<WebhookDelivery, EndpointError> {
    let delivery = hub.store.retry_webhook_delivery(id).await?;
    super::wake();
    Ok(delivery)
}

/// A new delivery id (the `webhook-id` header): `msg_` + a time-ordered UUID.
pub fn new_delivery_id() -> String {
    format!("msg_{}", uuid::Uuid::now_v7().simple())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn field_of(e: EndpointError) -> (&'static str, String) {
        match e {
            EndpointError::Invalid { field, message } => (field, message),
            other => panic!("not a field error: {other}"),
        }
    }

    #[test]
    fn urls_must_be_http_and_public_unless_private_networks_are_allowed() {
        assert_eq!(
            check_url(" https://hooks.example.com/in ", false).unwrap(),
            "https://hooks.example.com/in"
        );
        let (field, message) = field_of(check_url("ftp://example.com/x", false).unwrap_err());
        assert_eq!(field, "url");
        assert!(message.contains("http or https"), "{message}");
        let (_, message) = field_of(check_url("not a url", false).unwrap_err());
        assert!(message.contains("absolute URL"), "{message}");
        for private in [
            "http://127.0.0.1:9000/hook",
            "http://10.1.2.3/hook",
            "http://[::1]/hook",
            "http://localhost:8080/hook",
            "http://169.254.169.254/latest",
            "http://[::127.0.0.1]/hook",
            "http://[2002:7f00:1::]/hook",
            "http://[2001:0:7f00:1::1]/hook",
        ] {
            let (field, message) = field_of(check_url(private, false).unwrap_err());
            assert_eq!(field, "url");
            assert!(
                message.contains("sandbox.allow_private_networks"),
                "{private}: {message}"
            );
            assert!(check_url(private, true).is_ok(), "{private}");
        }
    }
}
