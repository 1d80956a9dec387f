//! The emulated Bugalou dashboard's orders: one record per `platform` + `orderNumber`, kept
//! in creation order, with the server-side `id`, `createdAt` and `updatedAt`.

use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{Map, Value};

/// One order as the API serves it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BugalouOrder {
    pub id: String,
    pub platform: String,
    pub order_number: String,
    pub order_status: String,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub items: Vec<Value>,
    pub total: Option<String>,
    pub currency: Option<String>,
    pub tracking_code: Option<String>,
    pub tracking_url: Option<String>,
    pub payment_status: Option<String>,
    pub payment_method: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl BugalouOrder {
    /// The order as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[derive(Debug, Default)]
struct Orders {
    orders: Vec<BugalouOrder>,
    created: u64,
    updated: u64,
    next_id: u64,
}

/// Shared access to the orders (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct BugalouStore {
    inner: Arc<Mutex<Orders>>,
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

impl BugalouStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Orders> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates or updates the order of `fields` (already validated) at instant `now`; the
    /// optional fields it does not carry keep their value. Returns the order and whether it
    /// was created.
    pub(crate) fn upsert(&self, fields: &Map<String, Value>, now: &str) -> (BugalouOrder, bool) {
        let platform = text(fields.get("platform")).unwrap_or_default();
        let number = text(fields.get("orderNumber")).unwrap_or_default();
        let mut orders = self.lock();
        let existing = orders
            .orders
            .iter()
            .position(|o| o.platform == platform && o.order_number == number);
        let index = match existing {
            Some(i) => {
                orders.updated += 1;
                i
            }
            None => {
                orders.next_id += 1;
                orders.created += 1;
                let id = format!("ord_{:08}", orders.next_id);
                orders.orders.push(BugalouOrder {
                    id,
                    platform,
                    order_number: number,
                    order_status: String::new(),
                    customer_email: None,
                    customer_name: None,
                    items: Vec::new(),
                    total: None,
                    currency: None,
                    tracking_code: None,
                    tracking_url: None,
                    payment_status: None,
                    payment_method: None,
                    created_at: now.to_owned(),
                    updated_at: now.to_owned(),
                });
                orders.orders.len() - 1
            }
        };
        let order = &mut orders.orders[index];
        if let Some(s) = text(fields.get("orderStatus")) {
            order.order_status = s;
        }
        let set = |slot: &mut Option<String>, key: &str| {
            if let Some(v) = text(fields.get(key)) {
                *slot = Some(v);
            }
        };
        set(&mut order.customer_email, "customerEmail");
        set(&mut order.customer_name, "customerName");
        set(&mut order.total, "total");
        set(&mut order.currency, "currency");
        set(&mut order.tracking_code, "trackingCode");
        set(&mut order.tracking_url, "trackingUrl");
        set(&mut order.payment_status, "paymentStatus");
        set(&mut order.payment_method, "paymentMethod");
        if let Some(items) = fields.get("items").and_then(Value::as_array) {
            order.items = items.clone();
        }
        order.updated_at = now.to_owned();
        (order.clone(), existing.is_none())
    }

    /// All orders in creation order.
    pub fn orders(&self) -> Vec<BugalouOrder> {
        self.lock().orders.clone()
    }

    /// The order with this platform and number.
    pub fn order(&self, platform: &str, order_number: &str) -> Option<BugalouOrder> {
        self.lock()
            .orders
            .iter()
            .find(|o| o.platform == platform && o.order_number == order_number)
            .cloned()
    }

    /// The order with this id.
    pub fn order_by_id(&self, id: &str) -> Option<BugalouOrder> {
        self.lock().orders.iter().find(|o| o.id == id).cloned()
    }

    /// How many orders upserts created and updated.
    pub fn upsert_counts(&self) -> (u64, u64) {
        let orders = self.lock();
        (orders.created, orders.updated)
    }

    /// One page (1-based) of `limit` orders, and the total count.
    pub(crate) fn page(&self, page: usize, limit: usize) -> (Vec<BugalouOrder>, usize) {
        let orders = self.lock();
        let start = (page - 1).saturating_mul(limit);
        let items = orders
            .orders
            .iter()
            .skip(start)
            .take(limit)
            .cloned()
            .collect();
        (items, orders.orders.len())
    }
}
