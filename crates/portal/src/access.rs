//! Who may see what: every portal handler that takes an id from the URL or a form resolves
//! it here, so a tenant user asking for another tenant's connection or automation gets the
//! same 404 as for an id that does not exist (nothing says the other tenant's id is real).
//! The operator may see every tenant's.

use super::PortalState;
use super::error::PortalError;
use super::session::SignedIn;
use junction_store::connections::Connection;

/// The connection `id`, if this session may see it.
pub async fn connection(
    state: &PortalState,
    session: &SignedIn,
    id: &str,
) -> Result<Connection, PortalError> {
    let not_found = || PortalError::NotFound("There is no such connection".into());
    let connection = match state.hub.store.connection(id).await {
        Ok(c) => c,
        Err(junction_store::StoreError::NotFound { .. }) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    match session.tenant_id() {
        Some(tenant) if tenant != connection.tenant_id => Err(not_found()),
        _ => Ok(connection),
    }
}

/// May this session see tenant `tenant_id`'s data?
pub fn may_see_tenant(session: &SignedIn, tenant_id: &str) -> bool {
    session.tenant_id().is_none_or(|own| own == tenant_id)
}
