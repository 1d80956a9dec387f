//! Tenants: the accounts connections, users and automations belong to. A name is required
//! (trimmed) and unique across the server.

use crate::DomainError;
use junction_store::{Store, Tenant};

/// Create a tenant.
pub async fn create(store: &Store, name: &str) -> Result<Tenant, DomainError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DomainError::invalid("name", "name must not be empty"));
    }
    Ok(store.create_tenant(name).await?)
}
