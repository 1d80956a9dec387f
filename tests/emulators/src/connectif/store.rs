//! The emulated Connectif account's records: contacts (keyed by lowercased email), catalogue
//! products (keyed by the store's product id) and purchases.
//!
//! Purchases are *not* de-duplicated: whether the real `POST /purchases` refuses or merges a
//! second purchase with the same `purchaseId` is not documented, so every accepted POST is
//! kept and tests can see duplicates ([`ConnectifStore::purchases_with_id`],
//! [`ConnectifStore::duplicate_purchase_ids`]).
//!
//! For "exactly once" assertions the store also counts accepted writes per record: contact
//! and product upserts, and purchase creations per `purchaseId`. These counters only grow
//! (deletes do not lower them), so a purchase created, deleted and created again counts 2.
//!
//! Records are kept as the JSON objects the API serves, with the server-side fields (`id`,
//! `_email`/`productId`, `_createdAt`/`createdAt`, `_updatedAt`/`updatedAt`) filled in.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use super::clock;

#[derive(Debug, Default)]
struct Records {
    contacts: BTreeMap<String, Map<String, Value>>,
    products: BTreeMap<String, Map<String, Value>>,
    purchases: Vec<Map<String, Value>>,
    purchase_events: u64,
    next_id: u64,
    /// Accepted `PATCH /contacts/{email}` per lowercased email.
    contact_writes: BTreeMap<String, u64>,
    /// Accepted `PATCH /products/product-id/{id}` per product id.
    product_writes: BTreeMap<String, u64>,
    /// Accepted `POST /purchases` per `purchaseId`.
    purchase_creations: BTreeMap<String, u64>,
    /// Contacts written by imports.
    imported_contacts: u64,
}

impl Records {
    /// A Connectif-style 24-hex-digit internal id.
    fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("5cf8c05f{:016x}", self.next_id)
    }
}

/// Shared access to the account's records (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct ConnectifStore {
    inner: Arc<Mutex<Records>>,
}

/// Whether an upsert created the record or changed an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

impl ConnectifStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The contact with this email (case-insensitive), as `GET /contacts/{email}` serves it.
    pub fn contact(&self, email: &str) -> Option<Value> {
        let key = email.trim().to_lowercase();
        self.lock().contacts.get(&key).cloned().map(Value::Object)
    }

    /// The emails of all contacts, sorted.
    pub fn contact_emails(&self) -> Vec<String> {
        self.lock().contacts.keys().cloned().collect()
    }

    /// Every contact, as the API serves them, in email order (what an export holds).
    pub fn contact_records(&self) -> Vec<Map<String, Value>> {
        self.lock().contacts.values().cloned().collect()
    }

    /// Whether a contact exists.
    pub fn has_contact(&self, email: &str) -> bool {
        self.lock()
            .contacts
            .contains_key(&email.trim().to_lowercase())
    }

    /// Applies a patch to the contact, creating it when absent, as an accepted `PATCH
    /// /contacts/{email}` would (tests use it to change a contact "upstream"; it is not
    /// validated here).
    pub fn patch_contact(&self, email: &str, patch: Map<String, Value>) -> (Upserted, Value) {
        let key = email.trim().to_lowercase();
        let now = clock::now_iso();
        let mut records = self.lock();
        let created = !records.contacts.contains_key(&key);
        let id = if created {
            Some(records.new_id())
        } else {
            None
        };
        let contact = records.contacts.entry(key.clone()).or_insert_with(|| {
            let mut c = Map::new();
            c.insert("id".into(), Value::from(id.unwrap_or_default()));
            c.insert("_email".into(), Value::from(key.clone()));
            c.insert("_createdAt".into(), Value::from(now.clone()));
            c.insert("_emailStatus".into(), Value::from("active"));
            c.insert("_newsletterSubscriptionStatus".into(), Value::from("none"));
            c.insert("_smsSubscriptionStatus".into(), Value::from("none"));
            c.insert("_points".into(), Value::from(0));
            c.insert("_totalPurchases".into(), Value::from(0));
            c
        });
        for (k, v) in patch {
            contact.insert(k, v);
        }
        contact.insert("_updatedAt".into(), Value::from(now));
        let contact = Value::Object(contact.clone());
        *records.contact_writes.entry(key).or_insert(0) += 1;
        let outcome = if created {
            Upserted::Created
        } else {
            Upserted::Updated
        };
        (outcome, contact)
    }

    /// Counts one contact written by an import.
    pub(crate) fn count_imported(&self) {
        self.lock().imported_contacts += 1;
    }

    /// How many contacts imports wrote (rows applied; rows failed or skipped do not count).
    pub fn imported_contacts(&self) -> u64 {
        self.lock().imported_contacts
    }

    /// Adds `count` contacts `contact-N@example.com` (N from 1), with names and a
    /// newsletter status, for demos and smoke runs.
    pub fn seed_contacts(&self, count: usize) {
        for n in 1..=count {
            let mut patch = Map::new();
            patch.insert("_name".into(), Value::from(format!("Contact{n}")));
            patch.insert("_surname".into(), Value::from("Seeded"));
            let status = if n % 2 == 0 { "subscribed" } else { "none" };
            patch.insert("_newsletterSubscriptionStatus".into(), Value::from(status));
            self.patch_contact(&format!("contact-{n}@example.com"), patch);
        }
    }

    /// Deletes a contact, as `DELETE /contacts/{email}` does; whether it existed.
    pub fn delete_contact(&self, email: &str) -> bool {
        self.lock()
            .contacts
            .remove(&email.trim().to_lowercase())
            .is_some()
    }

    /// The catalogue product with this store id.
    pub fn product(&self, product_id: &str) -> Option<Value> {
        self.lock()
            .products
            .get(product_id)
            .cloned()
            .map(Value::Object)
    }

    /// The store ids of all catalogue products, sorted.
    pub fn product_ids(&self) -> Vec<String> {
        self.lock().products.keys().cloned().collect()
    }

    pub(crate) fn has_product(&self, product_id: &str) -> bool {
        self.lock().products.contains_key(product_id)
    }

    /// Applies a validated patch to the product, creating it when absent.
    pub(crate) fn patch_product(
        &self,
        product_id: &str,
        patch: Map<String, Value>,
    ) -> (Upserted, Value) {
        let now = clock::now_iso();
        let mut records = self.lock();
        let created = !records.products.contains_key(product_id);
        let id = if created {
            Some(records.new_id())
        } else {
            None
        };
        let product = records
            .products
            .entry(product_id.to_owned())
            .or_insert_with(|| {
                let mut p = Map::new();
                p.insert("id".into(), Value::from(id.unwrap_or_default()));
                p.insert("productId".into(), Value::from(product_id));
                p.insert("availability".into(), Value::from("instock"));
                p.insert("createdAt".into(), Value::from(now.clone()));
                p
            });
        for (k, v) in patch {
            product.insert(k, v);
        }
        product.insert("updatedAt".into(), Value::from(now));
        let product = Value::Object(product.clone());
        *records
            .product_writes
            .entry(product_id.to_owned())
            .or_insert(0) += 1;
        let outcome = if created {
            Upserted::Created
        } else {
            Upserted::Updated
        };
        (outcome, product)
    }

    /// Stores a validated purchase (duplicates included) and returns it as served.
    pub(crate) fn add_purchase(
        &self,
        mut purchase: Map<String, Value>,
        trigger_event: bool,
    ) -> Value {
        let now = clock::now_iso();
        let mut records = self.lock();
        let id = records.new_id();
        purchase.insert("id".into(), Value::from(id));
        purchase.insert("createdAt".into(), Value::from(now.clone()));
        purchase.insert("updatedAt".into(), Value::from(now));
        if let Some(email) = purchase.get("contactEmail").and_then(Value::as_str) {
            let key = email.trim().to_lowercase();
            if let Some(contact) = records.contacts.get_mut(&key) {
                let total = contact
                    .get("_totalPurchases")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                contact.insert("_totalPurchases".into(), Value::from(total + 1));
                if let Some(cid) = contact.get("id").cloned() {
                    purchase.insert("contactId".into(), cid);
                }
            }
        }
        if trigger_event {
            records.purchase_events += 1;
        }
        let purchase_id = purchase
            .get("purchaseId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        *records.purchase_creations.entry(purchase_id).or_insert(0) += 1;
        records.purchases.push(purchase.clone());
        Value::Object(purchase)
    }

    /// Every stored purchase, oldest first (duplicates included).
    pub fn purchases(&self) -> Vec<Value> {
        self.lock()
            .purchases
            .iter()
            .cloned()
            .map(Value::Object)
            .collect()
    }

    /// The stored purchases with this store `purchaseId` (more than one means duplicates).
    pub fn purchases_with_id(&self, purchase_id: &str) -> Vec<Value> {
        self.lock()
            .purchases
            .iter()
            .filter(|p| p.get("purchaseId").and_then(Value::as_str) == Some(purchase_id))
            .cloned()
            .map(Value::Object)
            .collect()
    }

    /// The purchase with this Connectif id.
    pub(crate) fn purchase_by_internal_id(&self, id: &str) -> Option<Value> {
        self.lock()
            .purchases
            .iter()
            .find(|p| p.get("id").and_then(Value::as_str) == Some(id))
            .cloned()
            .map(Value::Object)
    }

    /// Deletes every purchase with this store `purchaseId`; how many there were.
    pub(crate) fn delete_purchases(&self, purchase_id: &str) -> usize {
        let mut records = self.lock();
        let before = records.purchases.len();
        records
            .purchases
            .retain(|p| p.get("purchaseId").and_then(Value::as_str) != Some(purchase_id));
        before - records.purchases.len()
    }

    /// How many purchase events (workflow "On purchase" triggers) purchases fired.
    pub fn purchase_events(&self) -> u64 {
        self.lock().purchase_events
    }

    /// How many contacts exist.
    pub fn contact_count(&self) -> usize {
        self.lock().contacts.len()
    }

    /// How many catalogue products exist.
    pub fn product_count(&self) -> usize {
        self.lock().products.len()
    }

    /// How many purchases are stored, duplicates included.
    pub fn purchase_count(&self) -> usize {
        self.lock().purchases.len()
    }

    /// The `purchaseId`s stored more than once, with how many purchases carry each.
    pub fn duplicate_purchase_ids(&self) -> BTreeMap<String, usize> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for p in &self.lock().purchases {
            let id = p
                .get("purchaseId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            *counts.entry(id.to_owned()).or_insert(0) += 1;
        }
        counts.retain(|_, n| *n > 1);
        counts
    }

    /// How many accepted `PATCH`es wrote the contact with this email (case-insensitive),
    /// the creating one included; 0 if none.
    pub fn contact_writes(&self, email: &str) -> u64 {
        let key = email.trim().to_lowercase();
        self.lock().contact_writes.get(&key).copied().unwrap_or(0)
    }

    /// How many accepted `PATCH`es wrote the product with this store id, the creating one
    /// included; 0 if none.
    pub fn product_writes(&self, product_id: &str) -> u64 {
        self.lock()
            .product_writes
            .get(product_id)
            .copied()
            .unwrap_or(0)
    }

    /// How many times `POST /purchases` created a purchase with this `purchaseId` (deletes
    /// do not lower it); 0 if never.
    pub fn purchase_creations(&self, purchase_id: &str) -> u64 {
        self.lock()
            .purchase_creations
            .get(purchase_id)
            .copied()
            .unwrap_or(0)
    }

    /// [`Self::purchase_creations`] of every `purchaseId` ever created.
    pub fn purchase_creation_counts(&self) -> BTreeMap<String, u64> {
        self.lock().purchase_creations.clone()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn purchase(id: &str) -> Map<String, Value> {
        obj(json!({"purchaseId": id, "contactEmail": "a@b.co", "totalPrice": 1, "products": []}))
    }

    #[test]
    fn counts_records_and_writes_per_record() {
        let store = ConnectifStore::default();
        assert_eq!(
            (
                store.contact_count(),
                store.product_count(),
                store.purchase_count()
            ),
            (0, 0, 0)
        );
        store.patch_contact("A@b.co", Map::new());
        store.patch_contact("a@b.co ", obj(json!({"_name": "Ann"})));
        store.patch_contact("c@d.co", Map::new());
        store.patch_product("p1", Map::new());
        assert_eq!(store.contact_count(), 2);
        assert_eq!(store.product_count(), 1);
        assert_eq!(store.contact_writes("a@B.co"), 2);
        assert_eq!(store.contact_writes("c@d.co"), 1);
        assert_eq!(store.contact_writes("nobody@x.co"), 0);
        assert_eq!(store.product_writes("p1"), 1);
        assert_eq!(store.product_writes("p2"), 0);
    }

    #[test]
    fn counts_purchase_creations_and_duplicates() {
        let store = ConnectifStore::default();
        store.add_purchase(purchase("1001"), true);
        store.add_purchase(purchase("1002"), false);
        store.add_purchase(purchase("1001"), true);
        assert_eq!(store.purchase_count(), 3);
        assert_eq!(
            store.duplicate_purchase_ids(),
            BTreeMap::from([("1001".to_owned(), 2)])
        );
        assert_eq!(store.purchase_creations("1001"), 2);
        assert_eq!(store.purchase_creations("1002"), 1);
        assert_eq!(store.purchase_creations("1003"), 0);
        // Deleting removes the purchases but not the record of their creation.
        assert_eq!(store.delete_purchases("1001"), 2);
        assert_eq!(store.purchase_count(), 1);
        assert!(store.duplicate_purchase_ids().is_empty());
        store.add_purchase(purchase("1001"), true);
        assert_eq!(
            store.purchase_creation_counts(),
            BTreeMap::from([("1001".to_owned(), 3), ("1002".to_owned(), 1)])
        );
    }
}
