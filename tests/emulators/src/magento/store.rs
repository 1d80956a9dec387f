//! The emulated store's records (orders, customers, products, shipments) as Magento's JSON,
//! keyed by entity id, and the writes the API performs on them. Every change stamps
//! `updated_at` with the wall clock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::error::MagentoError;
use super::time::{format_magento, now_secs};

/// The order statuses (and the state each belongs to) of a default installation.
pub const ORDER_STATUSES: &[(&str, &str)] = &[
    ("pending", "new"),
    ("processing", "processing"),
    ("complete", "complete"),
    ("closed", "closed"),
    ("canceled", "canceled"),
    ("holded", "holded"),
    ("fraud", "processing"),
    ("payment_review", "payment_review"),
    ("pending_payment", "pending_payment"),
];

/// The kinds of record the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Orders,
    Customers,
    Products,
    Shipments,
}

impl Kind {
    /// The key of a record's id in its JSON.
    pub fn id_field(self) -> &'static str {
        match self {
            Kind::Orders | Kind::Shipments => "entity_id",
            Kind::Customers | Kind::Products => "id",
        }
    }
}

/// One tracking number of a shipment request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    pub track_number: String,
    pub title: String,
    pub carrier_code: String,
}

#[derive(Debug, Default)]
struct Records {
    by_kind: BTreeMap<Kind, BTreeMap<u64, Value>>,
    /// The last stamp given, so successive writes never go back in time.
    last_stamp: i64,
}

impl Records {
    fn table(&mut self, kind: Kind) -> &mut BTreeMap<u64, Value> {
        self.by_kind.entry(kind).or_default()
    }

    fn stamp(&mut self) -> String {
        self.last_stamp = self.last_stamp.max(now_secs());
        format_magento(self.last_stamp)
    }
}

/// Shared access to the records (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct MagentoStore {
    inner: Arc<Mutex<Records>>,
}

impl MagentoStore {
    fn lock(&self) -> MutexGuard<'_, Records> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores a record under its id (seeding).
    pub(crate) fn insert(&self, kind: Kind, record: Value) {
        let id = record[kind.id_field()].as_u64().unwrap_or(0);
        self.lock().table(kind).insert(id, record);
    }

    /// All records of a kind, in id order.
    pub fn all(&self, kind: Kind) -> Vec<Value> {
        self.lock().table(kind).values().cloned().collect()
    }

    /// One record by id.
    pub fn get(&self, kind: Kind, id: u64) -> Option<Value> {
        self.lock().table(kind).get(&id).cloned()
    }

    /// The product with this SKU.
    pub fn product_by_sku(&self, sku: &str) -> Option<Value> {
        self.lock()
            .table(Kind::Products)
            .values()
            .find(|p| p["sku"] == sku)
            .cloned()
    }

    /// Marks a record modified now, as an edit in the admin would; returns its new
    /// `updated_at`, or `None` when there is no such record.
    pub fn touch(&self, kind: Kind, id: u64) -> Option<String> {
        let mut records = self.lock();
        let stamp = records.stamp();
        let record = records.table(kind).get_mut(&id)?;
        record["updated_at"] = json!(stamp);
        Some(stamp)
    }

    /// Deletes a record; whether it existed.
    pub fn delete(&self, kind: Kind, id: u64) -> bool {
        self.lock().table(kind).remove(&id).is_some()
    }

    /// Adds a status-history comment and, with a status, changes the order's status (and
    /// the state that status belongs to).
    pub fn add_comment(
        &self,
        order_id: u64,
        status: Option<&str>,
        comment: &str,
        notified: bool,
    ) -> Result<(), MagentoError> {
        let state = match status {
            None => None,
            Some(s) => Some(
                ORDER_STATUSES
                    .iter()
                    .find(|(name, _)| *name == s)
                    .map(|(_, state)| *state)
                    .ok_or_else(|| MagentoError {
                        status: StatusCode::BAD_REQUEST,
                        message: "The \"%1\" order status is not valid.".to_owned(),
                        parameters: json!([s]),
                    })?,
            ),
        };
        let mut records = self.lock();
        let stamp = records.stamp();
        let order = records
            .table(Kind::Orders)
            .get_mut(&order_id)
            .ok_or_else(MagentoError::no_such_entity)?;
        let history_id = order["status_histories"].as_array().map_or(0, Vec::len) as u64 + 1;
        let entry = json!({
            "entity_id": order_id * 100 + history_id, "parent_id": order_id,
            "comment": comment, "status": status.unwrap_or_else(|| order["status"].as_str().unwrap_or("")),
            "is_customer_notified": u8::from(notified), "is_visible_on_front": 0,
            "created_at": stamp, "entity_name": "order",
        });
        if let (Some(status), Some(state)) = (status, state) {
            order["status"] = json!(status);
            order["state"] = json!(state);
        }
        match order["status_histories"].as_array_mut() {
            // Magento lists the newest comment first.
            Some(list) => list.insert(0, entry),
            None => order["status_histories"] = json!([entry]),
        }
        order["updated_at"] = json!(stamp);
        Ok(())
    }

    /// Creates a shipment of `items` (`(order_item_id, qty)`; empty: everything not shipped
    /// yet) with `tracks`; returns the shipment id. A fully shipped order moves to
    /// `complete`.
    pub fn ship(
        &self,
        order_id: u64,
        items: &[(u64, f64)],
        tracks: &[Track],
    ) -> Result<u64, MagentoError> {
        let mut records = self.lock();
        let stamp = records.stamp();
        let next_id = records
            .table(Kind::Shipments)
            .keys()
            .last()
            .copied()
            .unwrap_or(0)
            + 1;
        let order = records
            .table(Kind::Orders)
            .get_mut(&order_id)
            .ok_or_else(MagentoError::no_such_entity)?;
        if matches!(
            order["state"].as_str(),
            Some("canceled" | "closed" | "holded")
        ) {
            return Err(MagentoError::plain(
                StatusCode::BAD_REQUEST,
                "Shipment Document Validation Error(s):\nA shipment cannot be created when an order has a status of canceled, closed or on hold",
            ));
        }
        let lines = order["items"]
            .as_array_mut()
            .ok_or_else(MagentoError::no_such_entity)?;
        let remaining = |line: &Value| {
            line["qty_ordered"].as_f64().unwrap_or(0.0)
                - line["qty_shipped"].as_f64().unwrap_or(0.0)
        };
        let wanted: Vec<(u64, f64)> = if items.is_empty() {
            lines
                .iter()
                .filter(|l| l.get("parent_item_id").is_none() && remaining(l) > 0.0)
                .filter_map(|l| Some((l["item_id"].as_u64()?, remaining(l))))
                .collect()
        } else {
            items.to_vec()
        };
        if wanted.is_empty() {
            return Err(MagentoError::plain(
                StatusCode::BAD_REQUEST,
                "Shipment Document Validation Error(s):\nThe order does not allow a shipment to be created.",
            ));
        }
        for (item_id, qty) in &wanted {
            let line = lines
                .iter()
                .find(|l| l["item_id"] == *item_id)
                .ok_or_else(|| {
                    MagentoError::invalid_field("order_item_id", &item_id.to_string())
                })?;
            if *qty <= 0.0 || *qty > remaining(line) {
                return Err(MagentoError::plain(
                    StatusCode::BAD_REQUEST,
                    "Shipment Document Validation Error(s):\nYou can't create a shipment without products.",
                ));
            }
        }
        let mut shipped_items = Vec::new();
        for (item_id, qty) in &wanted {
            for line in lines.iter_mut() {
                let is_line = line["item_id"] == *item_id;
                let is_child = line.get("parent_item_id").and_then(Value::as_u64) == Some(*item_id);
                if is_line || is_child {
                    let shipped = line["qty_shipped"].as_f64().unwrap_or(0.0) + qty;
                    line["qty_shipped"] = json!(shipped);
                }
                if is_line {
                    shipped_items.push(json!({"order_item_id": item_id, "qty": qty, "sku": line["sku"], "name": line["name"]}));
                }
            }
        }
        let all_shipped = lines
            .iter()
            .all(|l| l.get("parent_item_id").is_some() || remaining(l) <= 0.0);
        if all_shipped && order["state"] != "complete" {
            order["state"] = json!("complete");
            order["status"] = json!("complete");
        }
        order["updated_at"] = json!(stamp);
        let tracks: Vec<Value> = tracks
            .iter()
            .enumerate()
            .map(|(i, t)| json!({
                "entity_id": next_id * 10 + i as u64, "parent_id": next_id, "order_id": order_id,
                "track_number": t.track_number, "title": t.title, "carrier_code": t.carrier_code,
                "created_at": stamp, "updated_at": stamp,
            }))
            .collect();
        let shipment = json!({
            "entity_id": next_id, "order_id": order_id, "increment_id": format!("{next_id:09}"),
            "created_at": stamp, "updated_at": stamp, "items": shipped_items, "tracks": tracks,
            "total_qty": wanted.iter().map(|(_, q)| q).sum::<f64>(),
        });
        records.table(Kind::Shipments).insert(next_id, shipment);
        Ok(next_id)
    }

    /// Sets a product's stock; returns the stock item id.
    pub fn set_stock(
        &self,
        sku: &str,
        qty: Option<f64>,
        in_stock: Option<bool>,
    ) -> Result<u64, MagentoError> {
        let mut records = self.lock();
        let stamp = records.stamp();
        let product = records
            .table(Kind::Products)
            .values_mut()
            .find(|p| p["sku"] == sku)
            .ok_or_else(|| MagentoError {
                status: StatusCode::NOT_FOUND,
                message: "The Product with the \"%1\" SKU doesn't exist.".to_owned(),
                parameters: json!([sku]),
            })?;
        let item = &mut product["extension_attributes"]["stock_item"];
        if !item.is_object() {
            return Err(MagentoError::plain(
                StatusCode::BAD_REQUEST,
                "The stock item was unable to be saved. Please try again.",
            ));
        }
        if let Some(qty) = qty {
            item["qty"] = json!(qty);
            item["is_in_stock"] = json!(in_stock.unwrap_or(qty > 0.0));
        } else if let Some(in_stock) = in_stock {
            item["is_in_stock"] = json!(in_stock);
        }
        let item_id = item["item_id"].as_u64().unwrap_or(0);
        product["updated_at"] = json!(stamp);
        Ok(item_id)
    }

    /// Sets base prices (`(sku, price)`); answers the rows it could not apply, in the shape
    /// of `PriceUpdateResultInterface` (`message`, `parameters`).
    pub fn set_base_prices(&self, prices: &[(String, f64)]) -> Vec<Value> {
        let mut records = self.lock();
        let stamp = records.stamp();
        let mut failed = Vec::new();
        for (sku, price) in prices {
            let product = records
                .table(Kind::Products)
                .values_mut()
                .find(|p| p["sku"] == sku.as_str());
            match product {
                Some(p) if *price >= 0.0 => {
                    p["price"] = json!(price);
                    p["updated_at"] = json!(stamp);
                }
                Some(_) => failed.push(json!({
                    "message": "Invalid attribute %fieldName = %fieldValue.",
                    "parameters": ["Price", price.to_string()],
                })),
                None => failed.push(json!({
                    "message": "The product that was requested doesn't exist. Verify the product and try again. Row ID: SKU = %SKU, Store ID: %storeId, Price: %price.",
                    "parameters": [sku, "0", price.to_string()],
                })),
            }
        }
        failed
    }
}
