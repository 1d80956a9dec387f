//! The admin API's portal user routes (`/api/v1/admin/users...`): create a tenant's user
//! (email and password checked, password hashed with argon2id by `junction_domain::accounts::users`),
//! list, delete (their portal sessions end with them). The password is read from the body
//! and goes straight to the hasher: it is never stored, logged or echoed in an error.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

use super::Verb::{Delete, Get, Post};
use super::admin::Admin;
use super::error::ApiError;
use super::error::ApiError as ApiErrorDoc;
use super::{ApiState, RouteDef, at};
use crate::answers::{self, User};
use junction_domain::accounts::password::Password;
use junction_domain::accounts::users::{UserError, create_user};

/// The user routes, relative to the admin prefix.
pub fn route_table() -> Vec<RouteDef> {
    vec![
        at(Get, "/users", list_users),
        at(Post, "/users", create),
        at(Delete, "/users/{id}", delete_user),
    ]
}

/// The user routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list_users, create, delete_user))]
pub struct AdminUsersDoc;

impl From<UserError> for ApiError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Invalid { field, message } => ApiError::invalid(field, message),
            UserError::Store(s) => s.into(),
            UserError::Hashing(h) => {
                tracing::error!(error = %h, "cannot hash a portal password");
                ApiError::internal("the password could not be hashed")
            }
        }
    }
}

/// `POST /users`: a portal user of a tenant.
#[derive(ToSchema)]
#[allow(dead_code)]
struct NewUser {
    /// Tenant id or name.
    tenant: String,
    /// Unique across the server; stored trimmed and lower-case.
    #[schema(example = "ada@example.com")]
    email: String,
    /// At least 12 characters. Hashed with argon2id; never stored or shown.
    #[schema(min_length = 12, max_length = 1024)]
    password: String,
}

/// `{"data": [...]}`: users, by email.
#[derive(Serialize, ToSchema)]
struct UserList {
    data: Vec<User>,
}

const FIELDS: [&str; 3] = ["tenant", "email", "password"];

/// Read the body field by field, so no error message can quote a value (the password).
fn parse_new_user(body: &[u8]) -> Result<(String, String, Password), ApiError> {
    let not_object = || {
        ApiError::invalid(
            "body",
            "the body must be a JSON object {\"tenant\", \"email\", \"password\"}",
        )
    };
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(body) else {
        return Err(not_object());
    };
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiError::invalid(
            unknown,
            format!("unknown field `{unknown}`; expected tenant, email and password"),
        ));
    }
    let mut text = |field: &'static str| match object.remove(field) {
        Some(Value::String(value)) => Ok(value),
        Some(_) => Err(ApiError::invalid(
            field,
            format!("`{field}` must be a string"),
        )),
        None => Err(ApiError::invalid(field, format!("missing field `{field}`"))),
    };
    let tenant = text("tenant")?;
    let email = text("email")?;
    let password = Password::new(text("password")?);
    Ok((tenant, email, password))
}

#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin",
    summary = "Create a portal user",
    description = "A user of one tenant who signs in to the portal (`/portal`) with email and \
        password and sees only that tenant's data. Emails are unique across the server. The \
        password (12 to 1024 characters) is hashed with argon2id and never returned.",
    request_body = NewUser,
    responses(
        (status = 201, description = "the new user", body = User),
        (status = 400, description = "invalid tenant, email or password (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 409, description = "a user with that email already exists", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn create(
    _: Admin,
    State(s): State<ApiState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let (tenant, email, password) = parse_new_user(&body)?;
    let user = create_user(&s.hub.store, &tenant, &email, password).await?;
    tracing::info!(user = %user.id, tenant = %user.tenant_id, "portal user created");
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    summary = "List portal users",
    params(("tenant" = Option<String>, Query, description = "Only this tenant's (id or name)")),
    responses(
        (status = 200, description = "the users, by email (never a password or its hash)", body = UserList),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn list_users(
    _: Admin,
    State(s): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<UserList>, ApiError> {
    let tenant = match query.get("tenant") {
        Some(t) => Some(s.hub.store.tenant(t).await?.id),
        None => None,
    };
    Ok(Json(UserList {
        data: answers::all(s.hub.store.users(tenant.as_deref()).await?),
    }))
}

#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "admin",
    summary = "Delete a portal user (their sessions end at once)",
    params(("id" = String, Path, description = "The user id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such user", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn delete_user(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    junction_domain::accounts::users::delete(&s.hub.store, &id).await?;
    tracing::info!(user = %id, "portal user deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_read_field_by_field_and_errors_never_quote_the_password() {
        let (tenant, email, password) = parse_new_user(
            br#"{"tenant":"acme","email":"a@example.com","password":"hunter2hunter2"}"#,
        )
        .unwrap();
        assert_eq!((tenant.as_str(), email.as_str()), ("acme", "a@example.com"));
        assert_eq!(password.expose(), "hunter2hunter2");

        let unknown = parse_new_user(br#"{"tenant":"acme","pasword":"hunter2hunter2"}"#)
            .err()
            .unwrap();
        assert_eq!(unknown.field.as_deref(), Some("pasword"));
        assert!(!unknown.message.contains("hunter2"), "{}", unknown.message);
        let number =
            parse_new_user(br#"{"tenant":"acme","email":"a@b.c","password":123456789012}"#)
                .err()
                .unwrap();
        assert_eq!(number.field.as_deref(), Some("password"));
        assert!(
            !number.message.contains("123456789012"),
            "{}",
            number.message
        );
        let missing = parse_new_user(br#"{"tenant":"acme","email":"a@b.c"}"#)
            .err()
            .unwrap();
        assert_eq!(missing.field.as_deref(), Some("password"));
        let garbage = parse_new_user(b"password=hunter2hunter2").err().unwrap();
        assert_eq!(garbage.field.as_deref(), Some("body"));
        assert!(!garbage.message.contains("hunter2"));
    }
}
