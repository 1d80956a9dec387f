//! Batch writes (`write-batch`): every stock and price write of a batch in one
//! `updateProductVariants(input: [...])` mutation.
//!
//! Vendure keeps stock and price on variants, so `variation-stock`/`variation-price` and
//! `product-stock`/`product-price` (for single-variant products) are all variant updates.
//! A batch of them takes a handful of requests whatever its size:
//! 1. the variants named by variation writes, in one `productVariants` list (each must
//!    belong to the product the op names), and the products named by product writes, in one
//!    `products` list (each must have exactly one variant);
//! 2. one `updateProductVariants` with an input per variant, the ops on the same variant
//!    merged in op order (so a stock and a price write on one variant are one input, and of
//!    two stock writes the later wins, as it would one by one); it answers with the
//!    variants, which are the variation writes' outcomes;
//! 3. the products of product writes, read back in one `products` list.
//!
//! Vendure applies a mutation in one transaction: if it refuses one input, nothing changes
//! and every op of the mutation gets the error, which is why ids and ownership are checked
//! first. Lists and the mutation are cut into chunks of [`CHUNK`]. Order status and tracking
//! writes have no batch form and run one by one afterwards, as `write` does them.

use std::collections::BTreeMap;

use junction_sdk::batch::{Outcomes, Requests, WriteResult};
use junction_sdk::types::{ConnectorError, ResourceKind, WriteOp, WriteOutcome};
use serde_json::{Map, Value, json};

use crate::api::{Api, check_id};
use crate::mapping::{self, PRODUCT_FIELDS, VARIANT_FIELDS};

/// Ids per list query and inputs per mutation.
pub const CHUNK: usize = 100;

/// What a stock or price op sets.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `stockOnHand`
    Stock(i64),
    /// `price`, in minor units.
    Price(i64),
}

impl Change {
    fn field(&self) -> (&'static str, i64) {
        match self {
            Change::Stock(q) => ("stockOnHand", *q),
            Change::Price(p) => ("price", *p),
        }
    }
}

/// Which variant an op changes, as the op names it.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A variant of a product (`variation-*`).
    Variant { product: String, variant: String },
    /// The only variant of a product (`product-*`).
    Product(String),
}

/// A stock or price op of the batch, checked and ready to resolve.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantOp {
    /// The op's position in the batch.
    pub index: usize,
    pub target: Target,
    pub change: Change,
}

/// The `updateProductVariants` inputs for resolved ops (`(op, variant id)`): one per
/// variant, in order of first appearance, later ops' fields over earlier ones'.
pub fn merge_inputs(resolved: &[(&VariantOp, String)]) -> Vec<Value> {
    let mut inputs: Vec<Map<String, Value>> = Vec::new();
    for (op, variant) in resolved {
        let (field, value) = op.change.field();
        let at = match inputs.iter().position(|i| i["id"] == *variant) {
            Some(at) => at,
            None => {
                let mut input = Map::new();
                input.insert("id".into(), json!(variant));
                inputs.push(input);
                inputs.len() - 1
            }
        };
        inputs[at].insert(field.into(), json!(value));
    }
    inputs.into_iter().map(Value::Object).collect()
}

/// The variant an op resolves to, given what Vendure said about the ids it names:
/// `variants` maps variant id → its product id, `products` maps product id → its variant ids.
pub fn resolve(
    target: &Target,
    variants: &BTreeMap<String, String>,
    products: &BTreeMap<String, Vec<String>>,
) -> Result<String, ConnectorError> {
    match target {
        Target::Variant { product, variant } => match variants.get(variant) {
            None => Err(ConnectorError::not_found(format!(
                "no variant with id {variant}"
            ))),
            Some(owner) if owner != product => Err(ConnectorError::not_found(format!(
                "variant {variant} does not belong to product {product}"
            ))),
            Some(_) => Ok(variant.clone()),
        },
        Target::Product(product) => match products.get(product).map(Vec::as_slice) {
            None => Err(ConnectorError::not_found(format!(
                "no product with id {product}"
            ))),
            Some([only]) => Ok(only.clone()),
            Some(many) => Err(ConnectorError::invalid_request(format!(
                "product {product} has {} variants: set stock and price per variant \
                 (variation-stock, variation-price)",
                many.len()
            ))),
        },
    }
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Api {
    /// Performs several writes: the stock and price ones in one mutation (see the module
    /// doc), the others one by one; one result per op, in the order of `ops`.
    pub fn write_batch(&self, ops: &[WriteOp]) -> Result<Vec<WriteResult>, ConnectorError> {
        let mut outcomes = Outcomes::new(ops.len());
        let mut variant_ops = Vec::new();
        let mut single = Vec::new();
        for (index, op) in ops.iter().enumerate() {
            match self.variant_op(index, op) {
                None => single.push(index),
                Some(Ok(op)) => variant_ops.push(op),
                Some(Err(error)) => outcomes.record(index, Err(error)),
            }
        }
        let mut requests = Requests::new();
        self.variant_writes(&variant_ops, &mut requests, &mut outcomes)?;
        for index in single {
            if let Some(op) = ops.get(index) {
                let result = requests.send(|| self.write(op))?;
                outcomes.record(index, result);
            }
        }
        Ok(outcomes.finish())
    }

    /// The op as a variant change, checked like the single write checks it; `None` for
    /// ops that are not stock or price writes.
    fn variant_op(&self, index: usize, op: &WriteOp) -> Option<Result<VariantOp, ConnectorError>> {
        let variant = |product: &str, variant: &str| -> Result<Target, ConnectorError> {
            Ok(Target::Variant {
                product: check_id("product", product)?,
                variant: check_id("variant", variant)?,
            })
        };
        let product = |product: &str| check_id("product", product).map(Target::Product);
        let built = match op {
            WriteOp::VariationStock(c) => self.check_quantity(c.quantity).and_then(|()| {
                Ok((
                    variant(&c.product_id, &c.variation_id)?,
                    Change::Stock(c.quantity),
                ))
            }),
            WriteOp::VariationPrice(c) => self
                .price_minor(&c.price, c.sale_price.as_deref())
                .and_then(|minor| {
                    Ok((
                        variant(&c.product_id, &c.variation_id)?,
                        Change::Price(minor),
                    ))
                }),
            WriteOp::ProductStock(c) => self
                .check_quantity(c.quantity)
                .and_then(|()| Ok((product(&c.product_id)?, Change::Stock(c.quantity)))),
            WriteOp::ProductPrice(c) => self
                .price_minor(&c.price, c.sale_price.as_deref())
                .and_then(|minor| Ok((product(&c.product_id)?, Change::Price(minor)))),
            _ => return None,
        };
        Some(built.map(|(target, change)| VariantOp {
            index,
            target,
            change,
        }))
    }

    /// Resolves, updates and reads back the stock and price ops, recording their outcomes.
    /// The outer error fails the whole batch (see [`Requests::send`]).
    fn variant_writes(
        &self,
        ops: &[VariantOp],
        requests: &mut Requests,
        outcomes: &mut Outcomes,
    ) -> Result<(), ConnectorError> {
        // 1. What the named variants and products are.
        let mut variant_ids = Vec::new();
        let mut product_ids = Vec::new();
        for op in ops {
            match &op.target {
                Target::Variant { variant, .. } => push_new(&mut variant_ids, variant),
                Target::Product(product) => push_new(&mut product_ids, product),
            }
        }
        let variants = match variant_ids.is_empty() {
            true => Ok(BTreeMap::new()),
            false => requests.send(|| self.variant_owners(&variant_ids))?,
        };
        let products = match product_ids.is_empty() {
            true => Ok(BTreeMap::new()),
            false => requests.send(|| self.product_variants(&product_ids))?,
        };
        let (no_variants, no_products) = (BTreeMap::new(), BTreeMap::new());
        let mut resolved = Vec::new();
        for op in ops {
            let variant = match &op.target {
                Target::Variant { .. } => variants.as_ref().map(|v| (v, &no_products)),
                Target::Product(_) => products.as_ref().map(|p| (&no_variants, p)),
            }
            .map_err(Clone::clone)
            .and_then(|(v, p)| resolve(&op.target, v, p));
            match variant {
                Ok(variant) => resolved.push((op, variant)),
                Err(error) => outcomes.record(op.index, Err(error)),
            }
        }

        // 2. The mutation (per chunk of inputs); what it answers per variant.
        let mut updated: BTreeMap<String, Result<Value, ConnectorError>> = BTreeMap::new();
        let query = format!(
            "mutation Update($i: [UpdateProductVariantInput!]!) {{ \
             updateProductVariants(input: $i) {{ {VARIANT_FIELDS} }} }}"
        );
        for chunk in merge_inputs(&resolved).chunks(CHUNK) {
            let ids: Vec<String> = chunk.iter().filter_map(|i| id_text(&i["id"])).collect();
            let answer = requests.send(|| self.admin.query(&query, json!({ "i": chunk })))?;
            let mut returned: BTreeMap<String, Value> = BTreeMap::new();
            if let Ok(data) = &answer {
                for item in data["updateProductVariants"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    if let Some(id) = id_text(&item["id"]) {
                        returned.insert(id, item.clone());
                    }
                }
            }
            for id in ids {
                let result = match &answer {
                    Err(error) => Err(error.clone()),
                    Ok(_) => returned.remove(&id).ok_or_else(|| {
                        ConnectorError::upstream(
                            500,
                            format!("Vendure did not return variant {id} after updating it"),
                        )
                    }),
                };
                updated.insert(id, result);
            }
        }

        // 3. Outcomes: variation writes from the mutation's answer, product writes from one
        // read of their products.
        let mut read_back = Vec::new();
        for (op, variant) in &resolved {
            if let Target::Product(product) = &op.target
                && matches!(updated.get(variant), Some(Ok(_)))
            {
                push_new(&mut read_back, product);
            }
        }
        let product_records = match read_back.is_empty() {
            true => Ok(BTreeMap::new()),
            false => requests.send(|| self.products_by_id(&read_back))?,
        };
        for (op, variant) in &resolved {
            let written = updated.get(variant).cloned().unwrap_or_else(|| {
                Err(ConnectorError::internal(format!(
                    "variant {variant} was left out of the mutation"
                )))
            });
            let result = written.and_then(|record| match &op.target {
                Target::Variant { .. } => {
                    mapping::entity(ResourceKind::Variations, &record, self.decimals).map(
                        |entity| WriteOutcome {
                            external_id: variant.clone(),
                            entity: Some(entity),
                        },
                    )
                }
                Target::Product(product) => product_records
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|records| {
                        records.get(product).ok_or_else(|| {
                            ConnectorError::not_found(format!("no product with id {product}"))
                        })
                    })
                    .and_then(|p| mapping::entity(ResourceKind::Products, p, self.decimals))
                    .map(|entity| WriteOutcome {
                        external_id: product.clone(),
                        entity: Some(entity),
                    }),
            });
            outcomes.record(op.index, result);
        }
        Ok(())
    }

    /// Variant id → its product's id, for the variants Vendure has among `ids`.
    fn variant_owners(&self, ids: &[String]) -> Result<BTreeMap<String, String>, ConnectorError> {
        let mut owners = BTreeMap::new();
        for chunk in ids.chunks(CHUNK) {
            for item in self.list_by_ids(
                "productVariants",
                "ProductVariantListOptions",
                "id productId",
                chunk,
            )? {
                if let (Some(id), Some(product)) =
                    (id_text(&item["id"]), id_text(&item["productId"]))
                {
                    owners.insert(id, product);
                }
            }
        }
        Ok(owners)
    }

    /// Product id → its variant ids, for the products Vendure has among `ids`.
    fn product_variants(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, Vec<String>>, ConnectorError> {
        let mut variants = BTreeMap::new();
        for chunk in ids.chunks(CHUNK) {
            for item in self.list_by_ids(
                "products",
                "ProductListOptions",
                "id variants { id }",
                chunk,
            )? {
                if let Some(id) = id_text(&item["id"]) {
                    let ids = item["variants"]
                        .as_array()
                        .map(|vs| vs.iter().filter_map(|v| id_text(&v["id"])).collect())
                        .unwrap_or_default();
                    variants.insert(id, ids);
                }
            }
        }
        Ok(variants)
    }

    /// The products among `ids`, with the fields the mapping reads.
    fn products_by_id(&self, ids: &[String]) -> Result<BTreeMap<String, Value>, ConnectorError> {
        let mut products = BTreeMap::new();
        for chunk in ids.chunks(CHUNK) {
            for item in self.list_by_ids("products", "ProductListOptions", PRODUCT_FIELDS, chunk)? {
                if let Some(id) = id_text(&item["id"]) {
                    products.insert(id, item);
                }
            }
        }
        Ok(products)
    }

    /// `list(options: {filter: {id: {in: ids}}, take}) { items { fields } }`.
    fn list_by_ids(
        &self,
        list: &str,
        options_type: &str,
        fields: &str,
        ids: &[String],
    ) -> Result<Vec<Value>, ConnectorError> {
        let query = format!(
            "query Some($o: {options_type}) {{ {list}(options: $o) {{ items {{ {fields} }} }} }}"
        );
        let options = json!({"take": ids.len(), "filter": {"id": {"in": ids}}});
        let mut data = self.admin.query(&query, json!({ "o": options }))?;
        match data[list]["items"].take() {
            Value::Array(items) => Ok(items),
            _ => Err(ConnectorError::upstream(
                200,
                format!("invalid JSON from upstream: {list} without items"),
            )),
        }
    }
}

fn push_new(list: &mut Vec<String>, id: &str) {
    if !list.iter().any(|x| x == id) {
        list.push(id.to_owned());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn op(index: usize, target: Target, change: Change) -> VariantOp {
        VariantOp {
            index,
            target,
            change,
        }
    }

    fn variant(product: &str, variant: &str) -> Target {
        Target::Variant {
            product: product.into(),
            variant: variant.into(),
        }
    }

    #[test]
    fn one_input_per_variant_with_later_ops_winning() {
        let ops = [
            op(0, variant("1", "10"), Change::Stock(5)),
            op(1, Target::Product("2".into()), Change::Price(999)),
            op(2, variant("1", "10"), Change::Price(1250)),
            op(3, variant("1", "10"), Change::Stock(7)),
        ];
        let resolved: Vec<(&VariantOp, String)> = vec![
            (&ops[0], "10".into()),
            (&ops[1], "20".into()),
            (&ops[2], "10".into()),
            (&ops[3], "10".into()),
        ];
        assert_eq!(
            merge_inputs(&resolved),
            vec![
                json!({"id": "10", "stockOnHand": 7, "price": 1250}),
                json!({"id": "20", "price": 999}),
            ]
        );
        assert!(merge_inputs(&[]).is_empty());
    }

    #[test]
    fn targets_resolve_like_single_writes_check_them() {
        let variants: BTreeMap<String, String> =
            [("10".to_owned(), "1".to_owned())].into_iter().collect();
        let products: BTreeMap<String, Vec<String>> = [
            ("2".to_owned(), vec!["20".to_owned()]),
            ("3".to_owned(), vec!["30".to_owned(), "31".to_owned()]),
        ]
        .into_iter()
        .collect();
        let r = |t: Target| resolve(&t, &variants, &products);
        assert_eq!(r(variant("1", "10")).unwrap(), "10");
        assert!(matches!(
            r(variant("9", "10")),
            Err(ConnectorError::NotFound(m)) if m.contains("does not belong to product 9")
        ));
        assert!(matches!(
            r(variant("1", "11")),
            Err(ConnectorError::NotFound(m)) if m.contains("no variant with id 11")
        ));
        assert_eq!(r(Target::Product("2".into())).unwrap(), "20");
        assert!(matches!(
            r(Target::Product("3".into())),
            Err(ConnectorError::InvalidRequest(m)) if m.contains("has 2 variants")
        ));
        assert!(matches!(
            r(Target::Product("4".into())),
            Err(ConnectorError::NotFound(_))
        ));
    }
}
