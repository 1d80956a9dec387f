//! The Admin API client: one GraphQL `POST` per request, authentication (login or API key)
//! and the mapping of GraphQL errors onto the contract's errors.
//!
//! Vendure answers most errors with HTTP 200 and an `errors` list whose
//! `extensions.code` says what went wrong ([`graphql_error`]): `FORBIDDEN`/`UNAUTHORIZED` are
//! `unauthorized`, `ENTITY_NOT_FOUND` is `not-found`, input errors are `upstream` 400 and the
//! rest `upstream` 500. Mutations report expected failures as *error results* in the data
//! (`{"errorCode": "...", "message": "..."}`), which [`error_result`] turns into errors.

use junction_sdk::http::{Client, Method, Response};
use junction_sdk::types::ConnectorError;
use serde_json::{Value, json};

use crate::config::{Config, Credentials};

/// The header a `login` answer carries the session token in.
const AUTH_TOKEN_HEADER: &str = "vendure-auth-token";
/// The header an API key goes in.
const API_KEY_HEADER: &str = "vendure-api-key";

/// An authenticated Admin API session for one connector call.
pub struct Admin {
    client: Client,
    endpoint: junction_sdk::http::Url,
}

impl Admin {
    /// Connects: with an API key nothing is sent yet; with a login the `login` mutation runs
    /// now and its session token is used for the rest of the call.
    pub fn connect(config: &Config) -> Result<Self, ConnectorError> {
        let endpoint = config.admin_url()?;
        let client = Client::from_url(endpoint.clone()).timeout(config.timeout());
        match config.credentials()? {
            Credentials::ApiKey(key) => Ok(Self {
                client: client.header(API_KEY_HEADER, key),
                endpoint,
            }),
            Credentials::Login { username, password } => {
                let anonymous = Self {
                    client: client.clone(),
                    endpoint: endpoint.clone(),
                };
                let (data, response) = anonymous.send(
                    "mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) { \
                     __typename ... on CurrentUser { id } ... on ErrorResult { errorCode message } } }",
                    json!({"u": username, "p": password}),
                )?;
                let login = &data["login"];
                if login["__typename"] != "CurrentUser" {
                    let message = login["message"].as_str().unwrap_or("login refused");
                    return Err(ConnectorError::unauthorized(format!(
                        "Vendure refused the login of {username:?}: {message}"
                    )));
                }
                let token = response.header(AUTH_TOKEN_HEADER).ok_or_else(|| {
                    ConnectorError::upstream(
                        200,
                        "Vendure accepted the login but sent no vendure-auth-token header \
                         (is 'bearer' among authOptions.tokenMethod?)",
                    )
                })?;
                Ok(Self {
                    client: client.bearer_auth(token),
                    endpoint,
                })
            }
        }
    }

    /// Runs a query or mutation; returns its `data`.
    pub fn query(&self, query: &str, variables: Value) -> Result<Value, ConnectorError> {
        self.send(query, variables).map(|(data, _)| data)
    }

    fn send(&self, query: &str, variables: Value) -> Result<(Value, Response), ConnectorError> {
        let response = self
            .client
            .request_url(Method::Post, self.endpoint.clone())
            .json(&json!({"query": query, "variables": variables}))?
            .send()?;
        // GraphQL errors come with 200, and with 400 when the query does not validate; any
        // other status (a proxy's 401/429/5xx, say) is mapped by its status.
        if !matches!(response.status(), 200..=299 | 400) {
            return Err(response.to_error());
        }
        let body: Option<Value> = serde_json::from_slice(response.body()).ok();
        if let Some(errors) = body.as_ref().and_then(|b| b.get("errors"))
            && let Some(first) = errors.as_array().and_then(|a| a.first())
        {
            return Err(graphql_error(first));
        }
        if !response.is_success() {
            return Err(response.to_error());
        }
        let mut body: Value = response.json()?;
        let data = body.get_mut("data").map(Value::take).unwrap_or(Value::Null);
        if !data.is_object() {
            return Err(ConnectorError::upstream(
                response.status(),
                "invalid JSON from upstream: a GraphQL answer without data",
            ));
        }
        Ok((data, response))
    }
}

/// The contract error for one GraphQL error object.
pub fn graphql_error(error: &Value) -> ConnectorError {
    let message = error["message"]
        .as_str()
        .unwrap_or("GraphQL error")
        .to_owned();
    let code = error["extensions"]["code"].as_str().unwrap_or("");
    let text = if code.is_empty() {
        message
    } else {
        format!("{message} ({code})")
    };
    match code {
        "FORBIDDEN" | "UNAUTHORIZED" | "UNAUTHENTICATED" => ConnectorError::unauthorized(text),
        "ENTITY_NOT_FOUND" => ConnectorError::not_found(text),
        "USER_INPUT_ERROR" | "BAD_USER_INPUT" | "ILLEGAL_OPERATION" => {
            ConnectorError::upstream(400, text)
        }
        "GRAPHQL_VALIDATION_FAILED" | "GRAPHQL_PARSE_FAILED" => ConnectorError::internal(format!(
            "the connector sent a query Vendure refused: {text}"
        )),
        _ => ConnectorError::upstream(500, text),
    }
}

/// A mutation's result: `Ok` when it is not an error result, else `upstream` 409 (Vendure's
/// error results are refusals given the record's state: a transition not allowed, items
/// already fulfilled) with Vendure's code and message and `what` for context.
pub fn error_result<'a>(value: &'a Value, what: &str) -> Result<&'a Value, ConnectorError> {
    match value.get("errorCode").and_then(Value::as_str) {
        None if value.is_object() => Ok(value),
        None => Err(ConnectorError::upstream(
            500,
            format!("{what}: Vendure answered without a result"),
        )),
        Some(code) => {
            let message = value["message"].as_str().unwrap_or("refused");
            let detail = value["transitionError"]
                .as_str()
                .map(|t| format!(": {t}"))
                .unwrap_or_default();
            Err(ConnectorError::upstream(
                409,
                format!("{what}: {message}{detail} ({code})"),
            ))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn maps_graphql_errors() {
        let e = |code: &str| {
            graphql_error(&json!({"message": "m", "extensions": {"code": code}}))
                .kind()
                .to_owned()
        };
        assert_eq!(e("FORBIDDEN"), "unauthorized");
        assert_eq!(e("ENTITY_NOT_FOUND"), "not-found");
        assert_eq!(e("USER_INPUT_ERROR"), "upstream");
        assert_eq!(e("GRAPHQL_VALIDATION_FAILED"), "internal");
        assert_eq!(e("INTERNAL_SERVER_ERROR"), "upstream");
        let msg = graphql_error(
            &json!({"message": "You are not allowed", "extensions": {"code": "FORBIDDEN"}}),
        );
        assert_eq!(msg.message(), "You are not allowed (FORBIDDEN)");
    }

    #[test]
    fn error_results_are_conflicts() {
        let ok = json!({"id": "1"});
        assert!(error_result(&ok, "x").is_ok());
        let refused = json!({"errorCode": "ORDER_STATE_TRANSITION_ERROR", "message": "Cannot transition",
                             "transitionError": "from Delivered to Cancelled"});
        match error_result(&refused, "order 7").unwrap_err() {
            ConnectorError::Upstream(u) => {
                assert_eq!(u.status, 409);
                assert!(
                    u.message
                        .contains("order 7: Cannot transition: from Delivered"),
                    "{}",
                    u.message
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(error_result(&Value::Null, "x").is_err());
    }
}
