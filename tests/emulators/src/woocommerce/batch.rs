//! The batch endpoints: `orders/batch`, `products/batch` and
//! `products/{id}/variations/batch` (`POST`, `PUT` or `PATCH`), as WooCommerce's
//! `WC_REST_Controller::batch_items` serves them.
//!
//! The body is `{"create": [..], "update": [..], "delete": [..]}`. In WordPress's order: a
//! member that is not an array is `400 rest_invalid_param`; a request without credentials is
//! `401 woocommerce_rest_cannot_batch`; more than [`MAX_BATCH_ITEMS`] items in all is
//! `413 woocommerce_rest_request_entity_too_large`. Then every item runs like the single
//! write it stands for (`create` like `POST /orders`, `update` like `PUT /orders/{id}` with
//! the item's `id`), with the same validation and side effects (`date_modified` moves, order
//! notes are added). The answer has a member for each non-empty list of the request, in
//! `create`, `update`, `delete` order, and one entry per item in request order: the record
//! as the single write returns it, or `{"id": .., "error": {"code", "message", "data":
//! {"status"}}}` when that item was refused. The status is 200 whatever the items did; a
//! request with nothing in it is answered `[]` (PHP's empty array).
//!
//! Deletion is not emulated: `delete` items are answered with a 501 error item.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::api::{Action, AppState, Ctx, body_map, internal_error, json_bytes, parse_id};
use super::error::{Kind, WcError};
use super::input::{OrderPatch, ProductPatch, VariationPatch};
use super::store::Db;
use super::views::Site;

/// WooCommerce's default `woocommerce_rest_batch_items_limit`.
pub(crate) const MAX_BATCH_ITEMS: usize = 100;

/// The three lists of a batch request.
struct Batch {
    create: Vec<Value>,
    update: Vec<Value>,
    delete: Vec<Value>,
}

impl Batch {
    /// Reads the lists; a member that is not an array is refused as WordPress's schema
    /// validation refuses it.
    fn parse(body: &Map<String, Value>) -> Result<Self, WcError> {
        let mut invalid = Vec::new();
        let mut list = |name: &str| match body.get(name) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(_) => {
                invalid.push(super::error::ParamError::new(
                    name,
                    "rest_invalid_type",
                    format!("{name} is not of type array."),
                ));
                Vec::new()
            }
        };
        let batch = Self {
            create: list("create"),
            update: list("update"),
            delete: list("delete"),
        };
        if invalid.is_empty() {
            Ok(batch)
        } else {
            Err(WcError::invalid_params(&invalid))
        }
    }

    /// `413` past the item limit, counting all three lists together.
    fn check_limit(&self) -> Result<(), WcError> {
        let total = self.create.len() + self.update.len() + self.delete.len();
        if total > MAX_BATCH_ITEMS {
            return Err(WcError::new(
                413,
                "woocommerce_rest_request_entity_too_large",
                format!("Unable to accept more than {MAX_BATCH_ITEMS} items for this request."),
            ));
        }
        Ok(())
    }
}

/// One item of a batch, as the single write it stands for.
enum ItemWrite<'a> {
    Create(&'a Map<String, Value>),
    Update(u64, &'a Map<String, Value>),
}

/// `{"id": .., "error": {code, message, data}}`.
fn error_item(id: Value, error: &WcError) -> Value {
    json!({ "id": id, "error": error.body() })
}

/// Runs every item through `write` and builds the answer.
fn run(
    batch: &Batch,
    kind: Kind,
    mut write: impl FnMut(ItemWrite<'_>) -> Result<Value, WcError>,
) -> Value {
    let mut answer = Map::new();
    let not_an_object =
        || WcError::new(400, "rest_invalid_param", "A batch item must be an object.");
    if !batch.create.is_empty() {
        let items = batch
            .create
            .iter()
            .map(|item| {
                let created = match item {
                    Value::Object(fields) => write(ItemWrite::Create(fields)),
                    _ => Err(not_an_object()),
                };
                created.unwrap_or_else(|e| error_item(json!(0), &e))
            })
            .collect();
        answer.insert("create".into(), Value::Array(items));
    }
    if !batch.update.is_empty() {
        let items = batch
            .update
            .iter()
            .map(|item| {
                let Value::Object(fields) = item else {
                    return error_item(Value::Null, &not_an_object());
                };
                let given = fields.get("id").cloned().unwrap_or(Value::Null);
                let id = match &given {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                };
                let updated = match id {
                    Some(id) if id > 0 => write(ItemWrite::Update(id, fields)),
                    _ => Err(WcError::invalid_id_for_update(kind)),
                };
                updated.unwrap_or_else(|e| error_item(given, &e))
            })
            .collect();
        answer.insert("update".into(), Value::Array(items));
    }
    if !batch.delete.is_empty() {
        let refused = WcError::new(
            501,
            "junction_emulator_delete_unsupported",
            "The WooCommerce emulator does not delete records.",
        );
        let items = batch
            .delete
            .iter()
            .map(|id| error_item(id.clone(), &refused))
            .collect();
        answer.insert("delete".into(), Value::Array(items));
    }
    if answer.is_empty() {
        Value::Array(Vec::new())
    } else {
        Value::Object(answer)
    }
}

/// Parses, authorises and limits a batch request, then runs it under the store's write
/// lock (so a batch is applied as one step, as far as other requests can see).
fn handle(
    st: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    body: &[u8],
    kind: Kind,
    write: impl Fn(&mut Db, Site<'_>, ItemWrite<'_>) -> Result<Value, WcError>,
) -> Result<Response, WcError> {
    let batch = Batch::parse(&body_map(headers, body)?)?;
    ctx.require(Action::Batch)?;
    batch.check_limit()?;
    let site = ctx.site(st);
    let mut db = st.store.write();
    let answer = run(&batch, kind, |item| write(&mut db, site, item));
    let bytes = serde_json::to_vec(&answer).map_err(|_| internal_error())?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

pub(crate) async fn orders(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WcError> {
    handle(&st, &ctx, &headers, &body, Kind::Order, |db, site, item| {
        let id = match item {
            ItemWrite::Create(fields) => db.create_order(&OrderPatch::parse(fields)?)?,
            ItemWrite::Update(id, fields) => {
                db.update_order(id, &OrderPatch::parse(fields)?)?;
                id
            }
        };
        db.order_json(site, id).ok_or_else(internal_error)
    })
}

pub(crate) async fn products(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WcError> {
    handle(
        &st,
        &ctx,
        &headers,
        &body,
        Kind::Product,
        |db, site, item| {
            let id = match item {
                ItemWrite::Create(fields) => db.create_product(&ProductPatch::parse(fields)?)?,
                ItemWrite::Update(id, fields) => {
                    db.update_product(id, &ProductPatch::parse(fields)?)?;
                    id
                }
            };
            db.product_json(site, id).ok_or_else(internal_error)
        },
    )
}

pub(crate) async fn variations(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WcError> {
    let pid = parse_id(&pid)?;
    handle(
        &st,
        &ctx,
        &headers,
        &body,
        Kind::Variation,
        |db, site, item| {
            let id = match item {
                ItemWrite::Create(fields) => {
                    db.create_variation(pid, &VariationPatch::parse(fields)?)?
                }
                ItemWrite::Update(id, fields) => {
                    db.update_variation(pid, id, &VariationPatch::parse(fields)?)?;
                    id
                }
            };
            db.variation_json(site, pid, id).ok_or_else(internal_error)
        },
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn batch(body: Value) -> Result<Batch, WcError> {
        match body {
            Value::Object(map) => Batch::parse(&map),
            _ => unreachable!(),
        }
    }

    #[test]
    fn lists_must_be_arrays_and_within_the_limit() {
        let e = batch(json!({"update": {"id": 1}})).err().unwrap();
        assert_eq!(e.status(), 400);
        assert_eq!(e.code(), "rest_invalid_param");
        assert_eq!(
            e.body()["data"]["params"]["update"],
            "update is not of type array."
        );
        let items: Vec<Value> = (1..=60).map(|i| json!({"id": i})).collect();
        let ok = batch(json!({"update": items, "create": []})).unwrap();
        assert!(ok.check_limit().is_ok());
        let e = batch(json!({"update": items, "delete": items}))
            .unwrap()
            .check_limit()
            .unwrap_err();
        assert_eq!(e.status(), 413);
        assert_eq!(e.code(), "woocommerce_rest_request_entity_too_large");
        assert_eq!(
            e.message(),
            "Unable to accept more than 100 items for this request."
        );
    }

    #[test]
    fn answers_keep_item_order_and_report_errors_per_item() {
        let b = batch(json!({
            "update": [{"id": 1, "x": 1}, {"id": "2"}, {"nope": true}, 7],
            "delete": [9]
        }))
        .unwrap();
        let answer = run(&b, Kind::Product, |item| match item {
            ItemWrite::Update(1, _) => Ok(json!({"id": 1, "ok": true})),
            ItemWrite::Update(_, _) => Err(WcError::invalid_id_for_update(Kind::Product)),
            ItemWrite::Create(_) => unreachable!(),
        });
        assert!(answer.get("create").is_none());
        let update = answer["update"].as_array().unwrap();
        assert_eq!(update.len(), 4);
        assert_eq!(update[0], json!({"id": 1, "ok": true}));
        assert_eq!(
            update[1],
            json!({"id": "2", "error": {"code": "woocommerce_rest_product_invalid_id",
                   "message": "Invalid ID.", "data": {"status": 400}}})
        );
        assert_eq!(update[2]["id"], Value::Null);
        assert_eq!(update[2]["error"]["data"]["status"], 400);
        assert_eq!(update[3]["error"]["code"], "rest_invalid_param");
        assert_eq!(answer["delete"][0]["id"], 9);
        assert_eq!(answer["delete"][0]["error"]["data"]["status"], 501);
        assert_eq!(
            run(&batch(json!({})).unwrap(), Kind::Order, |_| unreachable!()),
            json!([])
        );
    }
}
