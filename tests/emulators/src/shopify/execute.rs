//! Runs a query's selection over the shop: the root fields (`shop`, the `orders`,
//! `customers`, `products`, `productVariants` and `locations` connections, single reads
//! `order(id:)`, `customer(id:)`, `product(id:)`, `productVariant(id:)`,
//! `inventoryItem(id:)`, `location(id:)`, `node(id:)`/`nodes(ids:)` by global id, and
//! `currentBulkOperation`), then
//! the query's selection picked from the records' objects (`views`). A field the object
//! does not have is an error naming it and its type, as Shopify's validation answers.
//!
//! While projecting it counts the actual cost (see `cost`): 1 per object, 2 per
//! connection plus 1 per node returned.

use graphql_parser::query::{Field, SelectionSet};
use serde_json::{Map, Value, json};

use super::document::Request;
use super::paging::{self, ConnectionArgs, Entry};
use super::store::ShopData;
use super::views::{self, parse_gid};

/// A query being run.
pub struct Exec<'r, 'a> {
    pub req: &'r Request<'a>,
    pub actual: u64,
    /// Running a bulk operation: connections without a page size are unbounded.
    pub bulk: bool,
    /// The shop's bulk operations (`BulkOperation` objects), oldest first.
    pub bulk_operations: Vec<Value>,
}

fn entry_of(view: &Value) -> Entry {
    let time = |name: &str| {
        view.get(name)
            .and_then(Value::as_str)
            .and_then(paging::parse_instant)
            .unwrap_or(0)
    };
    Entry {
        id: view.get("__id").and_then(Value::as_u64).unwrap_or(0),
        updated: time("updatedAt"),
        created: time("createdAt"),
    }
}

/// The object a global id names, of any kind the emulator serves.
pub fn node(data: &ShopData, gid: &str) -> Value {
    let kind = gid
        .strip_prefix("gid://shopify/")
        .and_then(|r| r.split('/').next())
        .unwrap_or("");
    let id = parse_gid(kind, gid);
    let found = id.and_then(|id| match kind {
        "Order" => data.orders.get(&id).map(|o| views::order(data, o)),
        "Customer" => data.customers.get(&id).map(views::customer),
        "Product" => data
            .products
            .get(&id)
            .map(|p| views::product(data, p, true)),
        "ProductVariant" => data
            .variants
            .get(&id)
            .map(|v| views::variant(data, v, true)),
        "InventoryItem" => data
            .variant_by_inventory_item(id)
            .and_then(|v| data.variants.get(&v))
            .map(|v| views::variant(data, v, true)["inventoryItem"].clone()),
        "Location" => data
            .locations
            .iter()
            .find(|l| l.id == id)
            .map(views::location_view),
        _ => None,
    });
    found.unwrap_or(Value::Null)
}

impl<'r, 'a> Exec<'r, 'a> {
    /// An executor for `req`.
    pub fn new(req: &'r Request<'a>) -> Self {
        Self {
            req,
            actual: 0,
            bulk: false,
            bulk_operations: Vec::new(),
        }
    }

    /// Runs the root selection of a query.
    pub fn query(&mut self, data: &ShopData, shop_name: &str) -> Result<Value, String> {
        let mut out = Map::new();
        for f in self.req.fields(self.req.selection, Some("QueryRoot"))? {
            let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
            let value = self.root_field(data, shop_name, f)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }

    fn id_arg(&self, f: &Field<'a, String>) -> Result<String, String> {
        self.req
            .args(f)
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("Field '{}' is missing required arguments: id", f.name))
    }

    fn root_field(
        &mut self,
        data: &ShopData,
        shop_name: &str,
        f: &'a Field<'a, String>,
    ) -> Result<Value, String> {
        let single = |kind: &str, gid: &str| {
            if parse_gid(kind, gid).is_some() {
                Ok(node(data, gid))
            } else {
                Err(format!("Invalid global id '{gid}'"))
            }
        };
        let view = match f.name.as_str() {
            "__typename" => return Ok(json!("QueryRoot")),
            "shop" => views::shop(shop_name),
            "orders" | "customers" | "products" | "productVariants" | "locations" => {
                return self.root_connection(data, f);
            }
            "order" => single("Order", &self.id_arg(f)?)?,
            "customer" => single("Customer", &self.id_arg(f)?)?,
            "product" => single("Product", &self.id_arg(f)?)?,
            "productVariant" => single("ProductVariant", &self.id_arg(f)?)?,
            "inventoryItem" => single("InventoryItem", &self.id_arg(f)?)?,
            "location" => single("Location", &self.id_arg(f)?)?,
            "currentBulkOperation" => self.bulk_operations.last().cloned().unwrap_or(Value::Null),
            "node" => {
                let id = self.id_arg(f)?;
                match parse_gid("BulkOperation", &id) {
                    Some(n) => self
                        .bulk_operations
                        .iter()
                        .find(|op| op.get("__id").and_then(Value::as_u64) == Some(n))
                        .cloned()
                        .unwrap_or(Value::Null),
                    None => node(data, &id),
                }
            }
            "nodes" => {
                let ids = self.req.args(f).get("ids").cloned().unwrap_or(Value::Null);
                let ids = ids
                    .as_array()
                    .ok_or("Field 'nodes' is missing required arguments: ids")?;
                let mut out = Vec::new();
                for id in ids {
                    let view = node(data, id.as_str().unwrap_or(""));
                    out.push(self.resolve(&view, f)?);
                }
                return Ok(Value::Array(out));
            }
            other => return Err(format!("Field '{other}' doesn't exist on type 'QueryRoot'")),
        };
        self.resolve(&view, f)
    }

    fn root_connection(
        &mut self,
        data: &ShopData,
        f: &'a Field<'a, String>,
    ) -> Result<Value, String> {
        let mut args = ConnectionArgs::from_json(&self.req.args(f))?;
        args.unbounded = self.bulk;
        let entries: Vec<Entry> = match f.name.as_str() {
            "orders" => data
                .orders
                .values()
                .map(|o| Entry {
                    id: o.id,
                    updated: o.updated_at,
                    created: o.created_at,
                })
                .collect(),
            "customers" => data
                .customers
                .values()
                .map(|c| Entry {
                    id: c.id,
                    updated: c.updated_at,
                    created: c.created_at,
                })
                .collect(),
            "products" => data
                .products
                .values()
                .map(|p| Entry {
                    id: p.id,
                    updated: p.updated_at,
                    created: p.created_at,
                })
                .collect(),
            "productVariants" => data
                .variants
                .values()
                .map(|v| Entry {
                    id: v.id,
                    updated: v.updated_at,
                    created: v.created_at,
                })
                .collect(),
            _ => data
                .locations
                .iter()
                .map(|l| Entry {
                    id: l.id,
                    updated: 0,
                    created: 0,
                })
                .collect(),
        };
        let paged = paging::page(entries, &args)?;
        let kind = match f.name.as_str() {
            "orders" => "Order",
            "customers" => "Customer",
            "products" => "Product",
            "productVariants" => "ProductVariant",
            _ => "Location",
        };
        let nodes: Vec<(Value, String)> = paged
            .items
            .iter()
            .map(|(id, cursor)| (node(data, &views::gid(kind, *id)), cursor.clone()))
            .collect();
        self.connection(&nodes, paged.has_next, paged.has_previous, f)
    }

    /// Projects `view` (any value of the object graph) through field `f`.
    pub fn resolve(&mut self, v: &Value, f: &'a Field<'a, String>) -> Result<Value, String> {
        let has_selection = !f.selection_set.items.is_empty();
        match v {
            Value::Object(o) if o.contains_key("__nodes") => {
                let nodes = o
                    .get("__nodes")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut args = ConnectionArgs::from_json(&self.req.args(f))?;
                args.unbounded = self.bulk;
                let paged = paging::page(nodes.iter().map(entry_of).collect(), &args)?;
                let chosen: Vec<(Value, String)> = paged
                    .items
                    .iter()
                    .filter_map(|(id, cursor)| {
                        nodes
                            .iter()
                            .find(|n| n.get("__id").and_then(Value::as_u64) == Some(*id))
                            .map(|n| (n.clone(), cursor.clone()))
                    })
                    .collect();
                self.connection(&chosen, paged.has_next, paged.has_previous, f)
            }
            Value::Object(o) => {
                if !has_selection {
                    let typename = o
                        .get("__typename")
                        .and_then(Value::as_str)
                        .unwrap_or("Object");
                    return Err(format!(
                        "Field must have selections (field '{}' returns {typename} but has no selections)",
                        f.name
                    ));
                }
                self.actual += 1;
                self.project(v, &f.selection_set)
            }
            Value::Array(items) => {
                let args = self.req.args(f);
                let first = args
                    .get("first")
                    .and_then(Value::as_u64)
                    .map(|n| n as usize);
                let names: Option<Vec<String>> =
                    args.get("names").and_then(Value::as_array).map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    });
                let mut out = Vec::new();
                for item in items.iter().take(first.unwrap_or(usize::MAX)) {
                    if let Some(names) = &names
                        && item
                            .get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| !names.iter().any(|w| w == n))
                    {
                        continue;
                    }
                    out.push(self.resolve(item, f)?);
                }
                Ok(Value::Array(out))
            }
            Value::Null => Ok(Value::Null),
            scalar => {
                if has_selection {
                    return Err(format!(
                        "Selections can't be made on scalars (field '{}')",
                        f.name
                    ));
                }
                Ok(scalar.clone())
            }
        }
    }

    /// Picks `set` from an object.
    pub fn project(
        &mut self,
        view: &Value,
        set: &'a SelectionSet<'a, String>,
    ) -> Result<Value, String> {
        let typename = view
            .get("__typename")
            .and_then(Value::as_str)
            .unwrap_or("Object");
        let mut out = Map::new();
        for f in self.req.fields(set, Some(typename))? {
            let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
            if f.name == "__typename" {
                out.insert(key, json!(typename));
                continue;
            }
            let value = view
                .get(f.name.as_str())
                .filter(|_| !f.name.starts_with("__"))
                .ok_or_else(|| format!("Field '{}' doesn't exist on type '{typename}'", f.name))?;
            let resolved = self.resolve(value, f)?;
            out.insert(key, resolved);
        }
        Ok(Value::Object(out))
    }

    fn connection(
        &mut self,
        nodes: &[(Value, String)],
        has_next: bool,
        has_previous: bool,
        f: &'a Field<'a, String>,
    ) -> Result<Value, String> {
        self.actual += 2 + nodes.len() as u64;
        let mut out = Map::new();
        for sub in self.req.fields(&f.selection_set, None)? {
            let key = sub.alias.clone().unwrap_or_else(|| sub.name.clone());
            let value = match sub.name.as_str() {
                "__typename" => json!("Connection"),
                "nodes" => {
                    let mut list = Vec::new();
                    for (n, _) in nodes {
                        list.push(self.project(n, &sub.selection_set)?);
                    }
                    Value::Array(list)
                }
                "edges" => {
                    let mut list = Vec::new();
                    for (n, cursor) in nodes {
                        let mut edge = Map::new();
                        for ef in self.req.fields(&sub.selection_set, None)? {
                            let ekey = ef.alias.clone().unwrap_or_else(|| ef.name.clone());
                            let v = match ef.name.as_str() {
                                "cursor" => json!(cursor),
                                "node" => self.project(n, &ef.selection_set)?,
                                "__typename" => json!("Edge"),
                                other => {
                                    return Err(format!(
                                        "Field '{other}' doesn't exist on type 'Edge'"
                                    ));
                                }
                            };
                            edge.insert(ekey, v);
                        }
                        list.push(Value::Object(edge));
                    }
                    Value::Array(list)
                }
                "pageInfo" => {
                    let info = json!({
                        "__typename": "PageInfo",
                        "hasNextPage": has_next, "hasPreviousPage": has_previous,
                        "startCursor": nodes.first().map(|n| n.1.clone()),
                        "endCursor": nodes.last().map(|n| n.1.clone()),
                    });
                    self.project(&info, &sub.selection_set)?
                }
                other => {
                    return Err(format!(
                        "Field '{other}' doesn't exist on type 'Connection'"
                    ));
                }
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}
