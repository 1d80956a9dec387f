//! `DELETE` of orders, products, variations and customers, as WooCommerce answers it.
//!
//! Orders and products support the trash: without `force=true` they move to status
//! `trash` (`date_modified` moves on; `status=any` listings leave them out, `GET` still
//! answers them, `status=trash` lists them), and a second trash is `410
//! woocommerce_rest_already_trashed`. With `force=true` the record is gone for good (`GET`
//! answers 404; a variable product's variations go with it). Customers and variations do
//! not support the trash: without `force=true` the answer is `501
//! woocommerce_rest_trash_not_supported`. The answer to a delete is the record as it was
//! (`force`) or as trashed.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::api::{Action, AppState, Ctx, parse_id};
use super::error::{Kind, WcError};
use super::model::OrderStatus;
use super::params::Validator;
use super::store::Db;

fn force(ctx: &Ctx) -> Result<bool, WcError> {
    let mut v = Validator::new(ctx.query());
    let force = v.boolean("force").unwrap_or(false);
    v.finish()?;
    Ok(force)
}

fn already_trashed(what: &str) -> WcError {
    WcError::new(
        410,
        "woocommerce_rest_already_trashed",
        format!("The {what} has already been deleted."),
    )
}

fn trash_not_supported(what: &str) -> WcError {
    WcError::new(
        501,
        "woocommerce_rest_trash_not_supported",
        format!("The {what} does not support trashing. Set 'force' to true to delete."),
    )
}

pub(super) async fn order(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WcError> {
    let id = parse_id(&id)?;
    let force = force(&ctx)?;
    ctx.require(Action::Delete)?;
    let mut db = st.store.write();
    let answer = db.delete_order(ctx.site(&st), id, force)?;
    ctx.json(StatusCode::OK, &answer)
}

pub(super) async fn product(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WcError> {
    let id = parse_id(&id)?;
    let force = force(&ctx)?;
    ctx.require(Action::Delete)?;
    let mut db = st.store.write();
    let answer = db.delete_product(ctx.site(&st), id, force)?;
    ctx.json(StatusCode::OK, &answer)
}

pub(super) async fn variation(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((pid, vid)): Path<(String, String)>,
) -> Result<Response, WcError> {
    let (pid, vid) = (parse_id(&pid)?, parse_id(&vid)?);
    let force = force(&ctx)?;
    ctx.require(Action::Delete)?;
    let mut db = st.store.write();
    let answer = db.delete_variation(ctx.site(&st), pid, vid, force)?;
    ctx.json(StatusCode::OK, &answer)
}

pub(super) async fn customer(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WcError> {
    let id = parse_id(&id)?;
    let force = force(&ctx)?;
    ctx.require(Action::Delete)?;
    let mut db = st.store.write();
    let answer = db.delete_customer(ctx.site(&st), id, force)?;
    ctx.json(StatusCode::OK, &answer)
}

/// How a deleted record is rendered (the site's URLs).
pub(crate) type Render<'a> = super::views::Site<'a>;

impl Db {
    /// Whether any order is in the trash (listings then filter it out).
    pub(crate) fn any_trashed_order(&self) -> bool {
        self.orders
            .rows()
            .iter()
            .any(|o| o.status == OrderStatus::Trash)
    }

    /// Whether any product is in the trash.
    pub(crate) fn any_trashed_product(&self) -> bool {
        self.products.rows().iter().any(|p| p.status == "trash")
    }

    pub(crate) fn delete_order(
        &mut self,
        site: Render<'_>,
        id: u64,
        force: bool,
    ) -> Result<Value, WcError> {
        let before = self
            .order_json(site, id)
            .ok_or_else(|| WcError::not_found(Kind::Order))?;
        if force {
            self.orders.remove(id);
            self.notes.remove(&id);
            return Ok(before);
        }
        if self
            .orders
            .get(id)
            .is_some_and(|o| o.status == OrderStatus::Trash)
        {
            return Err(already_trashed("order"));
        }
        let now = self.clock.tick();
        self.orders.update(id, |o| {
            o.status = OrderStatus::Trash;
            o.modified = now;
        });
        self.order_json(site, id)
            .ok_or_else(|| WcError::not_found(Kind::Order))
    }

    pub(crate) fn delete_product(
        &mut self,
        site: Render<'_>,
        id: u64,
        force: bool,
    ) -> Result<Value, WcError> {
        let before = self
            .product_json(site, id)
            .ok_or_else(|| WcError::not_found(Kind::Product))?;
        if force {
            if let Some(product) = self.products.remove(id) {
                for vid in product.variations {
                    self.variations.remove(vid);
                }
            }
            return Ok(before);
        }
        if self.products.get(id).is_some_and(|p| p.status == "trash") {
            return Err(already_trashed("product"));
        }
        let now = self.clock.tick();
        self.products.update(id, |p| {
            p.status = super::model::S::Borrowed("trash");
            p.modified = now;
        });
        self.product_json(site, id)
            .ok_or_else(|| WcError::not_found(Kind::Product))
    }

    pub(crate) fn delete_variation(
        &mut self,
        site: Render<'_>,
        product_id: u64,
        id: u64,
        force: bool,
    ) -> Result<Value, WcError> {
        let before = self
            .variation_json(site, product_id, id)
            .ok_or_else(|| WcError::not_found(Kind::Variation))?;
        if !force {
            return Err(trash_not_supported("variation"));
        }
        self.variations.remove(id);
        // The parent's list of variations and its modification time follow.
        let now = self.clock.tick();
        self.products.update(product_id, |p| {
            p.variations.retain(|v| *v != id);
            p.modified = now;
        });
        Ok(before)
    }

    pub(crate) fn delete_customer(
        &mut self,
        site: Render<'_>,
        id: u64,
        force: bool,
    ) -> Result<Value, WcError> {
        let before = self
            .customer_json(site, id)
            .ok_or_else(|| WcError::not_found(Kind::Customer))?;
        if !force {
            return Err(trash_not_supported("customer"));
        }
        self.customers.remove(id);
        Ok(before)
    }
}
