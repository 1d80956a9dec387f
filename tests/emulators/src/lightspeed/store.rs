//! The shop's records: orders (with their ordered products and one shipment each),
//! customers, products and their variants, kept as Lightspeed-named JSON fields per record
//! plus the id and the two timestamps every resource carries.
//!
//! Ids are handed out per resource in creation order, so `since_id` and the id ordering of
//! the lists are stable. Every change stamps `updatedAt` with the wall clock in whole
//! seconds (as Lightspeed does: two changes may share a second), never earlier than a
//! previous stamp (see `Store::tick`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::woocommerce::time::now_secs;

/// The resources the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    Orders,
    Customers,
    Products,
    Variants,
    Shipments,
}

impl Resource {
    /// The path segment and the list wrapper key, e.g. `orders`.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Orders => "orders",
            Self::Customers => "customers",
            Self::Products => "products",
            Self::Variants => "variants",
            Self::Shipments => "shipments",
        }
    }

    /// The single-record wrapper key, e.g. `order`.
    pub fn singular(self) -> &'static str {
        match self {
            Self::Orders => "order",
            Self::Customers => "customer",
            Self::Products => "product",
            Self::Variants => "variant",
            Self::Shipments => "shipment",
        }
    }

    /// The resource a path segment names.
    pub fn from_plural(segment: &str) -> Option<Self> {
        [
            Self::Orders,
            Self::Customers,
            Self::Products,
            Self::Variants,
            Self::Shipments,
        ]
        .into_iter()
        .find(|r| r.plural() == segment)
    }
}

/// One record: its id, creation and modification instants (epoch seconds) and its other
/// fields, named as Lightspeed names them. References to other records are kept as
/// `<name>Id` fields (e.g. `productId`) and rendered as resource links.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: u64,
    pub created: i64,
    pub updated: i64,
    pub fields: Map<String, Value>,
}

#[derive(Debug, Default)]
struct Records {
    tables: BTreeMap<Resource, BTreeMap<u64, Record>>,
    next_ids: BTreeMap<Resource, u64>,
    /// The last `updatedAt` handed out by a write.
    last_write: i64,
}

/// The shop's records, shared by the server and tests (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct Store {
    inner: Arc<Mutex<Records>>,
}

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The instant of a write: the wall clock, or the latest earlier stamp if the clock
    /// went back. It never runs ahead of the wall clock, so a record is never dated after
    /// the `Date` header of an answer that could not have seen it.
    fn tick(records: &mut Records) -> i64 {
        let at = now_secs().max(records.last_write);
        records.last_write = at;
        at
    }

    /// Adds a record created at `at` (seeding) and returns its id.
    pub(crate) fn insert_at(&self, resource: Resource, at: i64, fields: Map<String, Value>) -> u64 {
        let mut records = self.lock();
        records.last_write = records.last_write.max(at);
        let next = records.next_ids.entry(resource).or_insert(0);
        *next += 1;
        let id = *next;
        records.tables.entry(resource).or_default().insert(
            id,
            Record {
                id,
                created: at,
                updated: at,
                fields,
            },
        );
        id
    }

    /// Adds a record created now and returns its id.
    pub fn insert(&self, resource: Resource, fields: Map<String, Value>) -> u64 {
        let at = Self::tick(&mut self.lock());
        self.insert_at(resource, at, fields)
    }

    /// One record.
    pub fn get(&self, resource: Resource, id: u64) -> Option<Record> {
        self.lock().tables.get(&resource)?.get(&id).cloned()
    }

    /// All records of a resource in id order.
    pub fn all(&self, resource: Resource) -> Vec<Record> {
        self.lock()
            .tables
            .get(&resource)
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The ids of a resource in id order.
    pub fn ids(&self, resource: Resource) -> Vec<u64> {
        self.all(resource).into_iter().map(|r| r.id).collect()
    }

    /// Sets `changes` on a record and stamps its `updatedAt`; `None` when it does not exist.
    pub fn update(
        &self,
        resource: Resource,
        id: u64,
        changes: Map<String, Value>,
    ) -> Option<Record> {
        let mut records = self.lock();
        records.tables.get(&resource)?.get(&id)?;
        let at = Self::tick(&mut records);
        let record = records.tables.get_mut(&resource)?.get_mut(&id)?;
        record.fields.extend(changes);
        record.updated = at;
        Some(record.clone())
    }

    /// Changes a record's fields without stamping it (seeding links that need the id).
    pub(crate) fn update_seeded(
        &self,
        resource: Resource,
        id: u64,
        change: impl FnOnce(&mut Map<String, Value>),
    ) {
        if let Some(record) = self
            .lock()
            .tables
            .get_mut(&resource)
            .and_then(|t| t.get_mut(&id))
        {
            change(&mut record.fields);
        }
    }

    /// Marks a record modified now without changing anything else (a test's touch).
    pub fn touch(&self, resource: Resource, id: u64) -> Option<Record> {
        self.update(resource, id, Map::new())
    }

    /// Removes a record; whether it existed.
    pub fn delete(&self, resource: Resource, id: u64) -> bool {
        self.lock()
            .tables
            .get_mut(&resource)
            .is_some_and(|t| t.remove(&id).is_some())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn stamps_never_go_back_and_ids_count_per_resource() {
        let store = Store::default();
        let far_future = now_secs() + 1_000;
        let a = store.insert_at(Resource::Orders, far_future, fields(json!({"status": "x"})));
        let b = store.insert(Resource::Orders, Map::new());
        assert_eq!((a, b), (1, 2));
        assert_eq!(store.insert(Resource::Products, Map::new()), 1);
        let touched = store.touch(Resource::Orders, a).unwrap();
        let later = store
            .update(Resource::Orders, b, fields(json!({"status": "y"})))
            .unwrap();
        assert_eq!(touched.updated, far_future, "not before an earlier stamp");
        assert_eq!(later.updated, far_future);
        let fresh = Store::default();
        let id = fresh.insert(Resource::Customers, Map::new());
        let before = now_secs();
        let touched = fresh.touch(Resource::Customers, id).unwrap();
        assert!(
            (before..=now_secs()).contains(&touched.updated),
            "the wall clock"
        );
        assert_eq!(later.fields["status"], "y");
        assert!(store.delete(Resource::Orders, a));
        assert!(store.get(Resource::Orders, a).is_none());
        assert!(store.touch(Resource::Orders, a).is_none());
        assert_eq!(store.ids(Resource::Orders), vec![2]);
    }
}
