//! Tryton's JSON-RPC: one authenticated session per connector call.
//!
//! Every call is `POST {base}/{db}/rpc/` with `{"id", "method", "params"}`. The session
//! starts with `common.db.login(login, {"password"}, lang)` → `[user_id, token, ...]`; later
//! requests carry `Authorization: Session base64(login:user_id:token)`, so the password is
//! hashed once per call rather than once per request (Basic auth would do it every time).
//! The user's preferences (`model.res.user.get_preferences`) give the context — the company
//! above all, without which company-dependent fields such as `list_price` read as null.
//!
//! Failures map onto the contract: HTTP 401/403 → `unauthorized`, 429 (login throttling) →
//! `rate-limited`, other statuses through the SDK; a JSON-RPC `error` member is
//! `[exception name, args]` for Tryton's own exceptions (see [`rpc_error`]).

use std::time::Duration;

use junction_sdk::http::{Method, Request};
use junction_sdk::types::ConnectorError;
use serde_json::{Map, Value, json};

use crate::config::Settings;

/// An open session.
pub struct Session {
    settings: Settings,
    authorization: String,
    /// The user's context (company, language, ...), sent with every model call.
    context: Map<String, Value>,
}

impl Session {
    /// Logs in and loads the user's context.
    pub fn open(settings: Settings) -> Result<Self, ConnectorError> {
        let login = call_raw(
            &settings,
            None,
            "common.db.login",
            json!([settings.user, {"password": settings.password}, "en"]),
        )?;
        let (user_id, token) = match login.as_array().map(Vec::as_slice) {
            Some([Value::Number(id), Value::String(token), ..]) => (id.to_string(), token.clone()),
            // Tryton answers a refused login with an error status; a `false`/null result is
            // the older protocol's way of saying the same.
            _ => {
                return Err(ConnectorError::unauthorized(
                    "Tryton refused the login (check user and password)",
                ));
            }
        };
        let authorization = format!(
            "Session {}",
            base64_encode(format!("{}:{user_id}:{token}", settings.user).as_bytes())
        );
        let mut session = Self {
            settings,
            authorization,
            context: Map::new(),
        };
        let preferences = session.call("model.res.user.get_preferences", json!([true]))?;
        if let Value::Object(context) = preferences {
            session.context = context;
        }
        Ok(session)
    }

    /// The context sent with model calls.
    pub fn context(&self) -> &Map<String, Value> {
        &self.context
    }

    /// Calls `method` with `args`, appending the session context as the last parameter.
    pub fn call(&self, method: &str, args: Value) -> Result<Value, ConnectorError> {
        self.call_with(method, args, &Map::new())
    }

    /// Like [`Self::call`], with extra context keys (e.g. `locations` for stock quantities).
    pub fn call_with(
        &self,
        method: &str,
        args: Value,
        extra_context: &Map<String, Value>,
    ) -> Result<Value, ConnectorError> {
        let mut params = match args {
            Value::Array(items) => items,
            other => vec![other],
        };
        let mut context = self.context.clone();
        context.extend(extra_context.clone());
        params.push(Value::Object(context));
        call_raw(
            &self.settings,
            Some(&self.authorization),
            method,
            Value::Array(params),
        )
    }

    /// `search_read(domain, offset, limit, order, fields)` → the records.
    pub fn search_read(
        &self,
        model: &str,
        domain: Value,
        limit: Option<u32>,
        order: Value,
        fields: &[&str],
        extra_context: &Map<String, Value>,
    ) -> Result<Vec<Map<String, Value>>, ConnectorError> {
        let result = self.call_with(
            &format!("model.{model}.search_read"),
            json!([domain, 0, limit, order, fields]),
            extra_context,
        )?;
        records(result, model)
    }
}

/// How long to wait when Tryton throttles the login: it answers 429 without `Retry-After`
/// once a login failed `[session] max_attempt` times within the session timeout (10 minutes
/// by default), so retrying after a second would only fail again.
pub const LOGIN_THROTTLE_RETRY_MS: u64 = 60_000;

/// The records of a `search_read`/`read` answer.
pub fn records(result: Value, model: &str) -> Result<Vec<Map<String, Value>>, ConnectorError> {
    let Value::Array(items) = result else {
        return Err(ConnectorError::upstream(
            200,
            format!("{model}: expected a list of records, got {result}"),
        ));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(map) => Ok(map),
            other => Err(ConnectorError::upstream(
                200,
                format!("{model}: expected a record, got {other}"),
            )),
        })
        .collect()
}

/// Ids returned by `create`/`search`.
pub fn ids(result: &Value, what: &str) -> Result<Vec<i64>, ConnectorError> {
    result
        .as_array()
        .and_then(|items| items.iter().map(Value::as_i64).collect::<Option<Vec<_>>>())
        .ok_or_else(|| ConnectorError::upstream(200, format!("{what}: expected ids, got {result}")))
}

fn call_raw(
    settings: &Settings,
    authorization: Option<&str>,
    method: &str,
    params: Value,
) -> Result<Value, ConnectorError> {
    let body = json!({"id": 1, "method": method, "params": params});
    let mut request = Request::new(Method::Post, &settings.rpc_url)?
        .timeout(Duration::from_secs(settings.timeout_seconds))
        .header("accept", "application/json")
        .json(&body)?;
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let response = request.send()?;
    if response.status() == 429
        && method == "common.db.login"
        && response.header("retry-after").is_none()
    {
        return Err(ConnectorError::rate_limited(
            LOGIN_THROTTLE_RETRY_MS,
            "HTTP 429: Tryton throttles this login after repeated failures (check the password)",
        ));
    }
    let response = response.error_for_status()?;
    let answer: Value = response.json()?;
    if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
        return Err(rpc_error(method, error));
    }
    answer.get("result").cloned().ok_or_else(|| {
        ConnectorError::upstream(200, format!("{method}: JSON-RPC answer without a result"))
    })
}

/// Maps a JSON-RPC `error` member onto the contract.
///
/// Tryton sends its own exceptions as `[name, args]`, e.g.
/// `["UserError", ["message", "description", domain]]`; anything else crashed in the server
/// and comes as `[text, traceback]`.
pub fn rpc_error(method: &str, error: &Value) -> ConnectorError {
    let name = error.get(0).and_then(Value::as_str).unwrap_or("");
    let args = error.get(1);
    // `[name, [message, description, ...]]`, or `[text, traceback]` for a crash.
    let message = args
        .and_then(|a| a.get(0))
        .and_then(Value::as_str)
        .unwrap_or(name);
    let description = args
        .and_then(|a| a.get(1))
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty());
    let text = match description {
        Some(d) => format!("{method}: {message} ({d})"),
        None => format!("{method}: {message}"),
    };
    let text = junction_sdk::error::truncate(&text, 500);
    match name {
        "AccessError" | "AccessButtonError" | "LoginException" => {
            ConnectorError::unauthorized(format!("Tryton refused access: {text}"))
        }
        "RateLimitException" => ConnectorError::rate_limited(60_000, text),
        "ConcurrencyException" => ConnectorError::upstream(409, text),
        // UserError, UserWarning and the *ValidationError family: the ERP refused a value.
        _ if is_user_facing(name) => {
            ConnectorError::upstream(422, format!("Tryton refused: {text}"))
        }
        _ => ConnectorError::upstream(500, format!("Tryton failed: {text}")),
    }
}

/// Tryton's exceptions meant for the user (a refused value or state), by class name.
fn is_user_facing(name: &str) -> bool {
    matches!(name, "UserError" | "UserWarning") || name.ends_with("ValidationError")
}

/// Standard base64 with padding (the `Session` header's encoding).
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64_encode(b"admin:1:abc"), "YWRtaW46MTphYmM=");
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert_eq!(base64_encode(b"abc"), "YWJj");
        assert_eq!(base64_encode(b""), "");
    }

    #[test]
    fn tryton_exceptions_map_to_contract_errors() {
        let user = json!(["UserError", ["The sale must be in draft.", "", null]]);
        match rpc_error("model.sale.sale.write", &user) {
            ConnectorError::Upstream(u) => {
                assert_eq!(u.status, 422);
                assert!(
                    u.message.contains("The sale must be in draft."),
                    "{}",
                    u.message
                );
            }
            other => panic!("{other:?}"),
        }
        let access = json!(["AccessError", ["You are not allowed to read \"Sale\".", ""]]);
        assert!(matches!(
            rpc_error("model.sale.sale.read", &access),
            ConnectorError::Unauthorized(_)
        ));
        let crash = json!(["division by zero", "Traceback ..."]);
        match rpc_error("x", &crash) {
            ConnectorError::Upstream(u) => {
                assert_eq!(u.status, 500);
                assert!(u.message.contains("division by zero"));
            }
            other => panic!("{other:?}"),
        }
        let concurrent = json!([
            "ConcurrencyException",
            ["Records were modified in the meanwhile"]
        ]);
        assert!(matches!(
            rpc_error("x", &concurrent),
            ConnectorError::Upstream(u) if u.status == 409
        ));
    }
}
