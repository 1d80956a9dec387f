//! The calls to Connectif: `check` and the three upserts, over the SDK's HTTP client, with
//! the request budget tracked from every answer (see [`crate::budget`]).
//!
//! - upsert-customer: `PATCH /contacts/{email}` (Connectif creates a missing contact).
//! - upsert-product: `PATCH /products/product-id/{id}` (creates a missing product).
//! - upsert-order: Connectif has no purchase update and does not document what a second
//!   `POST /purchases` with the same `purchaseId` does, so the connector makes it an upsert
//!   itself: `GET /purchases/purchase-id/{id}`; absent → `POST /purchases`; present and the
//!   same → nothing; present and different → `DELETE` it and `POST` the new version with
//!   `triggerPurchaseEvent=false` (workflows fire once, for the first version). A purchase
//!   whose buyer is not yet a contact (error `E0101`) gets the contact created and is sent
//!   again; one whose products are missing from the catalogue (`E0102`) gets them created
//!   from its lines when `product_url_template` is configured.
//!
//! Errors go through the SDK's mapping: 401/403 → unauthorized, 404 → not-found, 429 →
//! rate-limited with the wait until `X-RateLimit-Reset`, 5xx → upstream, dropped
//! connections → transport.

use junction_sdk::http::{Client, Request, Response};
use junction_sdk::log;
use junction_sdk::types::{
    CheckInfo, ConnectorError, CustomerUpsert, LineItem, Order, OrderUpsert, ProductUpsert,
    WriteOp, WriteOutcome,
};
use serde_json::{Value, json};

use crate::budget::RateInfo;
use crate::config::Config;
use crate::mapping::{self, PurchaseWrite};

/// How often one purchase write may be sent (the first try, then after creating a missing
/// contact, then after creating missing products).
const PURCHASE_ATTEMPTS: usize = 3;

/// A configured Connectif API and the budget its answers announced during this call.
pub struct Api {
    pub(crate) client: Client,
    pub(crate) config: Config,
    rate: Option<RateInfo>,
}

/// The custom error code (`E0101`, ...) of a 400 problem body.
fn error_code(resp: &Response) -> Option<(String, Value)> {
    let body: Value = serde_json::from_slice(resp.body()).ok()?;
    let code = body.get("code")?.as_str()?.to_owned();
    Some((code, body))
}

impl Api {
    /// The API for a config JSON string.
    pub fn new(config_json: &str) -> Result<Self, ConnectorError> {
        let config = Config::parse(config_json)?;
        Ok(Self {
            client: config.client()?,
            config,
            rate: None,
        })
    }

    /// Sends one request unless the budget is known to be spent, and records the budget the
    /// answer announces.
    pub(crate) fn send(
        &mut self,
        request: Request,
        doing: &str,
    ) -> Result<Response, ConnectorError> {
        if let Some(rate) = self.rate
            && rate.short_of(1)
        {
            return Err(rate.exhausted(junction_sdk::time::now(), doing));
        }
        let resp = request.send()?;
        if let Some(info) = RateInfo::from_headers(resp.headers()) {
            self.rate = Some(info);
        }
        if resp.status() == 429 {
            let wait = match resp.to_error() {
                ConnectorError::RateLimited(r) => r.retry_after_ms.to_string(),
                _ => String::new(),
            };
            log::warn(
                "connectif answered 429: request budget spent",
                &[("doing", doing), ("retry_after_ms", &wait)],
            );
        }
        Ok(resp)
    }

    /// Fails with `rate-limited` when fewer than `needed` requests are left, before a step
    /// that must not be left half done.
    fn require(&self, needed: u64, doing: &str) -> Result<(), ConnectorError> {
        match self.rate {
            Some(rate) if rate.short_of(needed) => {
                Err(rate.exhausted(junction_sdk::time::now(), doing))
            }
            _ => Ok(()),
        }
    }

    /// Logs the budget the last answer announced (a warning when 10% or less is left).
    pub fn log_budget(&self) {
        let Some(rate) = self.rate else { return };
        let remaining = rate.remaining.to_string();
        let limit = rate.limit.map(|l| l.to_string()).unwrap_or_default();
        let reset = rate
            .reset_epoch_secs
            .map(|r| r.to_string())
            .unwrap_or_default();
        let fields = [
            ("remaining", remaining.as_str()),
            ("limit", limit.as_str()),
            ("reset_epoch_secs", reset.as_str()),
        ];
        if rate.is_low() {
            log::warn("connectif request budget low", &fields);
        } else {
            log::info("connectif request budget", &fields);
        }
    }

    /// Proves the key with one read: a contact lookup that may well answer 404.
    pub fn check(&mut self) -> Result<CheckInfo, ConnectorError> {
        let probe = self
            .client
            .get(["contacts", "junction-connection-check@example.com"]);
        let resp = self.send(probe, "checking the API key")?;
        if resp.status() != 404 {
            resp.error_for_status()?;
        }
        let host = self.client.base_url().host_str().unwrap_or("?").to_owned();
        let budget = match self.rate {
            Some(RateInfo {
                remaining,
                limit: Some(limit),
                ..
            }) => format!(" ({remaining} of {limit} requests left in this window)"),
            _ => String::new(),
        };
        Ok(CheckInfo {
            message: format!("Connectif API at {host}: key accepted{budget}"),
        })
    }

    /// Performs one write.
    pub fn write(&mut self, op: &WriteOp) -> Result<WriteOutcome, ConnectorError> {
        let result = match op {
            WriteOp::UpsertCustomer(c) => self.upsert_contact(c),
            WriteOp::UpsertProduct(p) => self.upsert_product(p),
            WriteOp::UpsertOrder(o) => self.upsert_purchase(o),
            _ => Err(ConnectorError::unsupported(
                "Connectif takes upsert-customer, upsert-product and upsert-order writes only",
            )),
        };
        self.log_budget();
        result
    }

    pub(crate) fn upsert_contact(
        &mut self,
        up: &CustomerUpsert,
    ) -> Result<WriteOutcome, ConnectorError> {
        let contact = mapping::contact(&up.customer)?;
        for skipped in &contact.skipped {
            log::warn("value not sent to Connectif", &[("field", skipped)]);
        }
        let request = self
            .client
            .patch(["contacts", contact.email.as_str()])
            .json(&contact.body)?;
        self.send(request, "writing the contact")?
            .error_for_status()?;
        Ok(WriteOutcome {
            external_id: contact.email,
            // Connectif offers no listing, so Junction keeps no local copy of contacts.
            entity: None,
        })
    }

    fn upsert_product(&mut self, up: &ProductUpsert) -> Result<WriteOutcome, ConnectorError> {
        let body = mapping::product(&up.product, self.config.product_url_template.as_deref())?;
        let id = up.product.external_id.trim().to_owned();
        let request = self
            .client
            .patch(["products", "product-id", id.as_str()])
            .json(&body)?;
        self.send(request, "writing the product")?
            .error_for_status()?;
        Ok(WriteOutcome {
            external_id: id,
            entity: None,
        })
    }

    fn upsert_purchase(&mut self, up: &OrderUpsert) -> Result<WriteOutcome, ConnectorError> {
        let id = up
            .target_id
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or(up.order.external_id.trim())
            .to_owned();
        let write = mapping::purchase(&up.order, &id)?;
        let lookup = self
            .client
            .get(["purchases", "purchase-id", write.purchase_id.as_str()]);
        let resp = self.send(lookup, "looking up the purchase")?;
        let existing: Option<Value> = match resp.status() {
            404 => None,
            _ => Some(resp.error_for_status()?.json()?),
        };
        let trigger = match &existing {
            None => self.config.trigger_purchase_event.unwrap_or(true),
            Some(old) if mapping::same_purchase(old, &write.body) => {
                log::debug(
                    "purchase unchanged in Connectif; nothing sent",
                    &[("purchase_id", &write.purchase_id)],
                );
                return Ok(WriteOutcome {
                    external_id: write.purchase_id,
                    entity: None,
                });
            }
            Some(_) => {
                // Deleting and not re-creating would lose the purchase until a retry.
                self.require(2, "replacing the purchase")?;
                let delete =
                    self.client
                        .delete(["purchases", "purchase-id", write.purchase_id.as_str()]);
                let resp = self.send(delete, "replacing the purchase")?;
                if resp.status() != 404 {
                    resp.error_for_status()?;
                }
                false
            }
        };
        self.create_purchase(&write, trigger, &up.order)?;
        Ok(WriteOutcome {
            external_id: write.purchase_id,
            entity: None,
        })
    }

    fn create_purchase(
        &mut self,
        write: &PurchaseWrite,
        trigger: bool,
        order: &Order,
    ) -> Result<(), ConnectorError> {
        for attempt in 1..=PURCHASE_ATTEMPTS {
            let request = self
                .client
                .post(["purchases"])
                .query("triggerPurchaseEvent", trigger)
                .json(&write.body)?;
            let resp = self.send(request, "writing the purchase")?;
            if resp.is_success() {
                return Ok(());
            }
            let code = (resp.status() == 400 && attempt < PURCHASE_ATTEMPTS)
                .then(|| error_code(&resp))
                .flatten();
            match code {
                Some((code, _)) if code == "E0101" => {
                    self.require(2, "creating the buyer's contact")?;
                    let body = mapping::buyer_contact(order.billing.as_ref());
                    let request = self
                        .client
                        .patch(["contacts", write.email.as_str()])
                        .json(&body)?;
                    self.send(request, "creating the buyer's contact")?
                        .error_for_status()?;
                }
                Some((code, body)) if code == "E0102" => {
                    let missing: Vec<String> = body
                        .get("productIds")
                        .and_then(Value::as_array)
                        .map(|ids| {
                            ids.iter()
                                .filter_map(|i| i.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default();
                    self.create_missing_products(&missing, order, &resp)?;
                }
                _ => return Err(resp.to_error()),
            }
        }
        Err(ConnectorError::internal(
            "purchase write did not settle after creating its contact and products",
        ))
    }

    /// Creates the catalogue products a purchase references but Connectif lacks, from the
    /// order's lines; needs `product_url_template` (a product must have a page URL).
    fn create_missing_products(
        &mut self,
        missing: &[String],
        order: &Order,
        refusal: &Response,
    ) -> Result<(), ConnectorError> {
        let Some(template) = self.config.product_url_template.clone() else {
            let e = refusal.to_error();
            return Err(ConnectorError::upstream(
                400,
                format!(
                    "{}; write the products first (upsert-product) or set product_url_template so the connector can create them",
                    e.message()
                ),
            ));
        };
        self.require(
            missing.len() as u64 + 1,
            "creating missing catalogue products",
        )?;
        for id in missing {
            let line: Option<&LineItem> = order
                .line_items
                .iter()
                .find(|l| l.product_id.as_deref().map(str::trim) == Some(id.as_str()));
            let Some(line) = line else {
                return Err(refusal.to_error());
            };
            let url = mapping::product_url(Some(&template), id, line.sku.as_deref(), "")
                .unwrap_or_default();
            let body = json!({
                "name": line.name.trim(),
                "unitPrice": mapping::money("line unit-price", &line.unit_price)?,
                "productDetailUrl": url,
            });
            let request = self
                .client
                .patch(["products", "product-id", id.as_str()])
                .json(&body)?;
            self.send(request, "creating a missing catalogue product")?
                .error_for_status()?;
        }
        Ok(())
    }
}
