//! What the tests of every crate share about databases: a fresh PostgreSQL schema to run a
//! store in (the e2e helpers and the crates' unit tests call this one function).

use crate::StoreError;

/// A fresh schema, named `prefix` + a UUIDv7, on the PostgreSQL server `url` names; the
/// answer is `url` with every connection's `search_path` set to it.
pub async fn fresh_postgres_schema(url: &str, prefix: &str) -> Result<String, StoreError> {
    use sqlx::Connection;
    let schema = format!("{prefix}{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}
