//! Tenants: the organisations that own connections and keys.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, new_id, now_ms};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub created_ms: i64,
}

impl Store {
    /// Create a tenant; names are unique.
    pub async fn create_tenant(&self, name: &str) -> Result<Tenant, StoreError> {
        let tenant = Tenant {
            id: new_id(),
            name: name.to_string(),
            created_ms: now_ms(),
        };
        sqlx::query("INSERT INTO tenants (id, name, created_ms) VALUES ($1, $2, $3)")
            .bind(&tenant.id)
            .bind(&tenant.name)
            .bind(tenant.created_ms)
            .execute(self.pool())
            .await
            .map_err(|e| {
                if StoreError::is_unique_violation(&e) {
                    StoreError::Conflict(format!("a tenant named `{name}` already exists"))
                } else {
                    e.into()
                }
            })?;
        Ok(tenant)
    }

    pub async fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let rows = sqlx::query("SELECT id, name, created_ms FROM tenants ORDER BY name")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(tenant_from_row).collect()
    }

    /// A tenant by id or by name.
    pub async fn tenant(&self, id_or_name: &str) -> Result<Tenant, StoreError> {
        let row =
            sqlx::query("SELECT id, name, created_ms FROM tenants WHERE id = $1 OR name = $1")
                .bind(id_or_name)
                .fetch_optional(self.pool())
                .await?;
        match row {
            Some(row) => tenant_from_row(&row),
            None => Err(StoreError::not_found("tenant", id_or_name)),
        }
    }
}

fn tenant_from_row(row: &sqlx::any::AnyRow) -> Result<Tenant, StoreError> {
    Ok(Tenant {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_ms: row.try_get("created_ms")?,
    })
}
