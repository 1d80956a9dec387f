-- Outgoing webhooks (Standard Webhooks): endpoints, their cursors into the change feed,
-- deliveries and the attempt log. Portable SQL, as 0001.

-- A subscribed URL. `connection_id` NULL means every connection of the tenant (also ones
-- created later). `event_types` is a JSON array (`order.created`, `order.*`, `*`, ...).
-- `secret` is the `whsec_...` signing secret sealed with the vault (owner: the endpoint id);
-- after a rotation the previous one keeps signing alongside until `previous_until_ms`.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    connection_id TEXT REFERENCES connections (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    event_types TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_until_ms BIGINT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id, created_ms);

-- How far an endpoint has read one (connection, resource) of the change feed. Moved in the
-- same transaction that creates the deliveries for what it passed over.
CREATE TABLE webhook_cursors (
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    resource TEXT NOT NULL,
    change_seq BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, connection_id, resource)
);

-- One event for one endpoint. `id` is the `webhook-id` header (stable across retries);
-- `payload` the exact body sent. status: pending (waiting for its next attempt),
-- delivered, failed (attempts exhausted; can be retried by hand).
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    connection_id TEXT,
    resource TEXT,
    external_id TEXT,
    change_seq BIGINT,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    last_status_code BIGINT,
    last_error TEXT,
    lease_owner TEXT,
    lease_until_ms BIGINT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    delivered_ms BIGINT,
    -- One delivery per change per endpoint, whatever happens (test events have no change).
    UNIQUE (endpoint_id, connection_id, change_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_ms);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_ms);

-- The delivery log: every attempt with its outcome.
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt BIGINT NOT NULL,
    started_ms BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status_code BIGINT,
    error TEXT,
    -- At most 1 KiB of the response body.
    response_excerpt TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
