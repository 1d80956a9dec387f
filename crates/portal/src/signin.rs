//! Signing in and out. Tenant users sign in with email and password; the operator with the
//! admin token. A refusal never says which part was wrong (an unknown email costs the same
//! argon2 work as a wrong password), comes after a delay that grows with recent attempts, and
//! every attempt takes a permit from the throttle (`domain::accounts::sign_in`): when those run out the page
//! says to wait. Success
//! starts a fresh session (a new id every time, so a planted cookie is worthless; a session
//! the browser had is ended) and goes to the Connections page; signing out deletes the
//! session and its cookie.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::PortalState;
use super::csrf::LOGIN_COOKIE;
use super::error::{PortalError, render};
use super::session::{
    ABSOLUTE_MS, ClientAddress, SESSION_COOKIE, SignedIn, cookie, new_token, secure_cookies,
    set_cookie, well_formed,
};
use super::views::LoginPage;
use junction_domain::accounts::password::Password;
use junction_domain::accounts::sessions;
use junction_domain::accounts::sign_in::{self, Account, Attempt};
use junction_domain::accounts::users::normalise_email;

pub const LOGIN_PATH: &str = "/portal/login";
pub const OPERATOR_LOGIN_PATH: &str = "/portal/login/operator";
pub const LOGOUT_PATH: &str = "/portal/logout";
/// Where a successful sign-in lands.
const HOME_PATH: &str = "/portal/connections";
/// How long the sign-in forms' token cookie lives.
const LOGIN_COOKIE_MAX_AGE_SECS: i64 = 2 * 3600;

const REFUSED_USER: &str = "That email and password do not match an account.";
const REFUSED_OPERATOR: &str = "That admin token is not right.";
const TOO_MANY: &str = "Too many sign-in attempts. Wait a minute, then try again.";
const MISSING: &str = "Enter your email and your password.";

#[derive(Deserialize)]
pub struct LoginQuery {
    signed_out: Option<String>,
}

/// `GET /portal/login`: the sign-in forms (or, when signed in already, the portal).
pub async fn login_page(
    State(state): State<PortalState>,
    session: Option<SignedIn>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<LoginQuery>,
) -> Result<Response, PortalError> {
    if session.is_some() {
        return Ok(Redirect::to(HOME_PATH).into_response());
    }
    let existing = cookie(&headers, LOGIN_COOKIE).filter(|t| well_formed(t));
    let (token, new_cookie) = match existing {
        Some(token) => (token.to_string(), None),
        None => {
            let token = new_token()?;
            let secure = secure_cookies(&state.settings, &headers, &uri);
            let cookie = set_cookie(LOGIN_COOKIE, &token, LOGIN_COOKIE_MAX_AGE_SECS, secure);
            (token, Some(cookie))
        }
    };
    let notice = query.signed_out.is_some().then_some("You have signed out.");
    let mut response = login_form(StatusCode::OK, &token, "", None, notice);
    if let Some(cookie) = new_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

fn login_form(
    status: StatusCode,
    csrf: &str,
    email: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> Response {
    render(
        status,
        &LoginPage {
            title: "Sign in",
            csrf,
            email,
            error,
            notice,
        },
    )
}

/// The sign-in form of a user.
#[derive(Deserialize)]
pub struct UserSignIn {
    #[serde(default)]
    email: String,
    password: Option<Password>,
}

/// `POST /portal/login`: a tenant user signs in.
pub async fn sign_in_user(
    State(state): State<PortalState>,
    previous: Option<SignedIn>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<UserSignIn>,
) -> Result<Response, PortalError> {
    // The guard checked this cookie against the form, so it is there.
    let csrf = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    let typed = form.email.trim();
    let password = form.password.filter(|p| !p.expose().is_empty());
    let (Some(password), false) = (password, typed.is_empty()) else {
        return Ok(login_form(
            StatusCode::BAD_REQUEST,
            csrf,
            typed,
            Some(MISSING),
            None,
        ));
    };
    let email = normalise_email(typed);
    let account = email.clone().unwrap_or_else(|| typed.to_lowercase());
    let Attempt::Allowed { delay_if_refused } =
        state.throttle.allow(address, Account::User(&account)).await
    else {
        tracing::warn!(client = ?address, "portal: sign-in throttled");
        return Ok(login_form(
            StatusCode::TOO_MANY_REQUESTS,
            csrf,
            typed,
            Some(TOO_MANY),
            None,
        ));
    };
    let user = sign_in::check_user(&state.hub.store, email.as_deref(), password).await?;
    let Some(user) = user else {
        tokio::time::sleep(delay_if_refused).await;
        tracing::info!(client = ?address, "portal: sign-in refused");
        return Ok(login_form(
            StatusCode::UNAUTHORIZED,
            csrf,
            typed,
            Some(REFUSED_USER),
            None,
        ));
    };
    end_previous(&state, previous).await?;
    let id = sessions::start(&state.hub.store, Some(&user.id), &state.admin_token).await?;
    tracing::info!(user = %user.id, tenant = %user.tenant_id, "portal: signed in");
    Ok(signed_in(
        &id,
        secure_cookies(&state.settings, &headers, &uri),
    ))
}

/// The operator's sign-in form.
#[derive(Deserialize)]
pub struct OperatorSignIn {
    token: Option<Password>,
}

/// `POST /portal/login/operator`: the operator signs in with the admin token.
pub async fn sign_in_operator(
    State(state): State<PortalState>,
    previous: Option<SignedIn>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<OperatorSignIn>,
) -> Result<Response, PortalError> {
    let csrf = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    let Some(token) = form.token.filter(|t| !t.expose().trim().is_empty()) else {
        return Ok(login_form(
            StatusCode::BAD_REQUEST,
            csrf,
            "",
            Some("Enter the admin token."),
            None,
        ));
    };
    let Attempt::Allowed { delay_if_refused } =
        state.throttle.allow(address, Account::Operator).await
    else {
        tracing::warn!(client = ?address, "portal: operator sign-in throttled");
        return Ok(login_form(
            StatusCode::TOO_MANY_REQUESTS,
            csrf,
            "",
            Some(TOO_MANY),
            None,
        ));
    };
    if !sign_in::is_admin_token(&token, &state.admin_token) {
        tokio::time::sleep(delay_if_refused).await;
        tracing::warn!(client = ?address, "portal: operator sign-in refused");
        return Ok(login_form(
            StatusCode::UNAUTHORIZED,
            csrf,
            "",
            Some(REFUSED_OPERATOR),
            None,
        ));
    }
    end_previous(&state, previous).await?;
    let id = sessions::start(&state.hub.store, None, &state.admin_token).await?;
    tracing::info!(client = ?address, "portal: operator signed in");
    Ok(signed_in(
        &id,
        secure_cookies(&state.settings, &headers, &uri),
    ))
}

/// Signing in again (as anyone) ends the session the browser had.
async fn end_previous(state: &PortalState, previous: Option<SignedIn>) -> Result<(), PortalError> {
    if let Some(previous) = previous {
        sessions::end(&state.hub.store, &previous.id_hash).await?;
    }
    Ok(())
}

/// Go to the portal with the new session's cookie; the sign-in token cookie is done.
fn signed_in(session_id: &str, secure: bool) -> Response {
    let mut response = Redirect::to(HOME_PATH).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, session_id, ABSOLUTE_MS / 1000, secure),
    );
    headers.append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0, secure));
    response
}

/// `POST /portal/logout`: end the session and drop its cookie.
pub async fn sign_out(
    State(state): State<PortalState>,
    session: SignedIn,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PortalError> {
    sessions::end(&state.hub.store, &session.id_hash).await?;
    tracing::info!(operator = session.is_operator(), "portal: signed out");
    let mut response = Redirect::to(&format!("{LOGIN_PATH}?signed_out=1")).into_response();
    let secure = secure_cookies(&state.settings, &headers, &uri);
    let cleared: HeaderValue = set_cookie(SESSION_COOKIE, "", 0, secure);
    response.headers_mut().append(header::SET_COOKIE, cleared);
    Ok(response)
}
