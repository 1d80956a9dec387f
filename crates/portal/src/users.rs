//! Portal users, for the operator only (`/portal/users`): every tenant's users with when
//! they were created and last signed in; creating one (tenant, email, and a password typed
//! or generated — a generated one is shown once, on the answer to the form, and never
//! stored but as its argon2id hash); deleting one after a confirmation page (their sessions
//! end at once). Creating and deleting go through `domain::accounts::users`, as the admin
//! API's do. A tenant user asking for any of these pages gets a 404, as for a page that does
//! not exist: the section is not theirs.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::PortalState;
use super::error::{PortalError, render};
use super::session::SignedIn;
use super::views::{Nav, Section, When, sentence};
use junction_domain::accounts::password::{self, Password};
use junction_domain::accounts::users::{self, UserError};
use junction_store::StoreError;
use junction_store::users::User;

const PATH: &str = "/portal/users";

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new().route(PATH, get(page).post(create)).route(
        "/portal/users/{id}/delete",
        get(confirm_delete).post(delete),
    )
}

/// The operator, or a 404 for anyone else.
fn operator_only(session: &SignedIn) -> Result<(), PortalError> {
    if session.is_operator() {
        Ok(())
    } else {
        Err(PortalError::NotFound("There is no such page".into()))
    }
}

/// One user in the list.
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub tenant_name: String,
    pub created: Option<When>,
    pub last_sign_in: Option<When>,
}

/// A tenant of the create form's select.
pub struct TenantChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// The create form as typed (never the password) and its problems per field.
#[derive(Default)]
pub struct NewUserForm {
    pub tenant: String,
    pub email: String,
    pub tenant_error: Option<String>,
    pub email_error: Option<String>,
    pub password_error: Option<String>,
}

impl NewUserForm {
    pub fn refused(&self) -> bool {
        self.tenant_error.is_some() || self.email_error.is_some() || self.password_error.is_some()
    }
}

#[derive(Template)]
#[template(path = "portal/users.html")]
pub struct UsersPage {
    pub title: &'static str,
    pub nav: Nav,
    pub rows: Vec<UserRow>,
    pub tenants: Vec<TenantChoice>,
    pub form: NewUserForm,
    pub notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "portal/user_created.html")]
pub struct UserCreatedPage {
    pub title: &'static str,
    pub nav: Nav,
    pub email: String,
    pub tenant_name: String,
    /// The generated password, shown this once; none when the operator typed one.
    pub generated: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/user_delete.html")]
pub struct DeleteUserPage {
    pub title: &'static str,
    pub nav: Nav,
    pub user: UserRow,
}

#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

/// `GET /portal/users`.
async fn page(
    State(state): State<PortalState>,
    session: SignedIn,
    Query(query): Query<Notice>,
) -> Result<Response, PortalError> {
    operator_only(&session)?;
    let notice = match query.notice.as_deref() {
        Some("deleted") => Some("The user is deleted; their sessions have ended."),
        _ => None,
    };
    users_page(
        &state,
        &session,
        NewUserForm::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

async fn users_page(
    state: &PortalState,
    session: &SignedIn,
    form: NewUserForm,
    notice: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, PortalError> {
    let store = &state.hub.store;
    let tenants = store.tenants().await?;
    let names: HashMap<&str, &str> = tenants
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    let rows = store
        .users(None)
        .await?
        .into_iter()
        .map(|u| row_of(u, &names))
        .collect();
    let page = UsersPage {
        title: "Users",
        nav: Nav::new(session, Section::Users),
        rows,
        tenants: tenants
            .iter()
            .map(|t| TenantChoice {
                id: t.id.clone(),
                name: t.name.clone(),
                selected: t.id == form.tenant,
            })
            .collect(),
        form,
        notice,
    };
    Ok(render(status, &page))
}

fn row_of(user: User, tenant_names: &HashMap<&str, &str>) -> UserRow {
    UserRow {
        tenant_name: tenant_names
            .get(user.tenant_id.as_str())
            .map_or_else(|| user.tenant_id.clone(), |n| n.to_string()),
        created: When::from_ms(user.created_ms),
        last_sign_in: user.last_sign_in_ms.and_then(When::from_ms),
        id: user.id,
        email: user.email,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /portal/users`: create a user; a blank password is generated and shown once.
async fn create(
    State(state): State<PortalState>,
    session: SignedIn,
    Form(submitted): Form<CreateForm>,
) -> Result<Response, PortalError> {
    operator_only(&session)?;
    let mut form = NewUserForm {
        tenant: submitted.tenant.trim().to_string(),
        email: submitted.email.trim().to_string(),
        ..NewUserForm::default()
    };
    if form.tenant.is_empty() {
        form.tenant_error = Some("Choose the tenant whose data the user will see.".into());
    }
    if form.email.is_empty() {
        form.email_error = Some("Enter the user's email address, like name@example.com.".into());
    }
    if form.refused() {
        return users_page(
            &state,
            &session,
            form,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let generated = submitted.password.is_empty();
    let password = if generated {
        password::generate().map_err(|e| PortalError::Internal(e.to_string()))?
    } else {
        Password::new(submitted.password)
    };
    let shown_once = generated.then(|| password.expose().to_string());
    match users::create_user(&state.hub.store, &form.tenant, &form.email, password).await {
        Ok(user) => {
            tracing::info!(user = %user.id, tenant = %user.tenant_id, "portal user created in the portal");
            let tenant_name = state.hub.store.tenant(&user.tenant_id).await?.name;
            let page = UserCreatedPage {
                title: "User created",
                nav: Nav::new(&session, Section::Users),
                email: user.email,
                tenant_name,
                generated: shown_once,
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(UserError::Invalid { field, message }) => {
            let message = sentence(&message);
            match field {
                "tenant" => form.tenant_error = Some(message),
                "password" => form.password_error = Some(message),
                _ => form.email_error = Some(message),
            }
            users_page(
                &state,
                &session,
                form,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(UserError::Store(StoreError::Conflict(_))) => {
            form.email_error = Some(
                "A user with this email already exists (emails are unique across every tenant)."
                    .into(),
            );
            users_page(&state, &session, form, None, StatusCode::CONFLICT).await
        }
        Err(UserError::Store(e)) => Err(e.into()),
        Err(UserError::Hashing(e)) => {
            tracing::error!(error = %e, "cannot hash a portal password");
            Err(PortalError::Internal(
                "the password could not be hashed".into(),
            ))
        }
    }
}

/// The user `id` as a row, or a 404.
async fn user_row(state: &PortalState, id: &str) -> Result<UserRow, PortalError> {
    let store = &state.hub.store;
    let user = store
        .users(None)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| PortalError::NotFound("There is no such user".into()))?;
    let tenants = store.tenants().await?;
    let names: HashMap<&str, &str> = tenants
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    Ok(row_of(user, &names))
}

/// `GET /portal/users/{id}/delete`: the confirmation.
async fn confirm_delete(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    operator_only(&session)?;
    let user = user_row(&state, &id).await?;
    let page = DeleteUserPage {
        title: "Delete user",
        nav: Nav::new(&session, Section::Users),
        user,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /portal/users/{id}/delete`.
async fn delete(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    operator_only(&session)?;
    let user = user_row(&state, &id).await?;
    users::delete(&state.hub.store, &user.id).await?;
    Ok(Redirect::to(&format!("{PATH}?notice=deleted")).into_response())
}
