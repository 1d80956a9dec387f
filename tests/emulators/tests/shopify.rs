//! The Shopify emulator over real HTTP: auth, connections with search and keyset cursors,
//! single reads by global id, calculated cost and throttling, mutations and their
//! userErrors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use junction_emulators::shopify::{BucketConfig, ShopifyConfig, ShopifyEmulator, gid};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn shop(config: ShopifyConfig) -> ShopifyEmulator {
    junction_emulators::shopify::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn small() -> ShopifyConfig {
    ShopifyConfig {
        orders: 30,
        customers: 8,
        products: 9,
        variable_every: 3,
        ..ShopifyConfig::default()
    }
}

async fn gql(emu: &ShopifyEmulator, query: &str, variables: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(emu.graphql_url())
        .header("X-Shopify-Access-Token", "shpat_test_token")
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn refuses_missing_and_wrong_tokens() {
    let emu = shop(small()).await;
    for token in [None, Some("shpat_wrong")] {
        let mut req = reqwest::Client::new()
            .post(emu.graphql_url())
            .json(&json!({"query": "{ shop { name } }"}));
        if let Some(t) = token {
            req = req.header("X-Shopify-Access-Token", t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let body: Value = resp.json().await.unwrap();
        assert!(
            body["errors"]
                .as_str()
                .unwrap()
                .contains("Invalid API key or access token")
        );
    }
    let body = gql(&emu, "{ shop { name } }", json!({})).await;
    assert_eq!(body["data"]["shop"]["name"], "Junction Test Shop");
}

#[tokio::test]
async fn orders_page_by_updated_at_with_search_and_cursors() {
    let emu = shop(small()).await;
    let store = emu.store();
    let query = "query Orders($after: String, $q: String) {
        orders(first: 7, after: $after, sortKey: UPDATED_AT, query: $q) {
          pageInfo { hasNextPage endCursor }
          edges { cursor node { id updatedAt name displayFinancialStatus displayFulfillmentStatus
            lineItems(first: 5) { nodes { sku quantity originalUnitPriceSet { shopMoney { amount currencyCode } } } }
            fulfillments(first: 5) { trackingInfo { number company } } } }
        } }";
    let mut after = Value::Null;
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut touched = false;
    loop {
        let body = gql(
            &emu,
            query,
            json!({"after": after, "q": "updated_at:>='2023-01-01T00:00:00Z'"}),
        )
        .await;
        let conn = &body["data"]["orders"];
        for e in conn["edges"].as_array().unwrap() {
            let node = &e["node"];
            seen.push((
                node["updatedAt"].as_str().unwrap().to_owned(),
                node["id"].as_str().unwrap().to_owned(),
            ));
            assert!(node["lineItems"]["nodes"].as_array().unwrap().len() <= 5);
        }
        // A record already read changes under the walk: it comes back at the end, nothing
        // else moves.
        if !touched {
            let first_id = seen[0].1.rsplit('/').next().unwrap().parse().unwrap();
            assert!(store.touch_order(first_id));
            touched = true;
        }
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    let mut ids: Vec<&String> = seen.iter().map(|s| &s.1).collect();
    assert_eq!(ids.len(), 31, "30 orders plus the touched one again");
    assert_eq!(seen.last().unwrap().1, seen[0].1);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30);
    // Sorted by (updatedAt, id) within the walk before the touch.
    let walk = &seen[..30];
    assert!(
        walk.windows(2)
            .all(|w| (w[0].0.as_str(), w[0].1.len(), w[0].1.as_str())
                <= (w[1].0.as_str(), w[1].1.len(), w[1].1.as_str()))
    );
    // The search filter: only the touched order is as new as now.
    let body = gql(
        &emu,
        query,
        json!({"after": null, "q": format!("updated_at:>='{}'", seen.last().unwrap().0)}),
    )
    .await;
    assert_eq!(body["data"]["orders"]["edges"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn single_reads_by_global_id_and_unknown_fields() {
    let emu = shop(small()).await;
    let store = emu.store();
    let order = store.order_ids()[0];
    let product = store.product_ids()[2];
    let body = gql(
        &emu,
        "query($o: ID!, $p: ID!) { order(id: $o) { id legacyResourceId customer { email } }
          node(id: $p) { id ... on Product { title variants(first: 10) { nodes { id price inventoryItem { id } } } } ... on Order { name } } }",
        json!({"o": gid("Order", order), "p": gid("Product", product)}),
    )
    .await;
    assert_eq!(body["data"]["order"]["legacyResourceId"], order.to_string());
    assert_eq!(body["data"]["node"]["title"], "Product 3");
    assert!(body["data"]["node"].get("name").is_none());
    let variants = body["data"]["node"]["variants"]["nodes"]
        .as_array()
        .unwrap();
    assert_eq!(variants.len(), store.variant_ids(product).unwrap().len());
    let missing = gql(
        &emu,
        "{ order(id: \"gid://shopify/Order/1\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(missing["data"]["order"], Value::Null);
    let bad = gql(
        &emu,
        "{ orders(first: 1) { nodes { id colour } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        bad["errors"][0]["message"],
        "Field 'colour' doesn't exist on type 'Order'"
    );
    let unpaged = gql(&emu, "{ orders { nodes { id } } }", json!({})).await;
    assert!(
        unpaged["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("first or last")
    );
}

#[tokio::test]
async fn every_answer_carries_its_cost_and_the_bucket_throttles() {
    let emu = shop(ShopifyConfig {
        bucket: BucketConfig {
            maximum: 300.0,
            restore_rate: 1.0,
        },
        ..small()
    })
    .await;
    let query = "{ orders(first: 100) { nodes { id customer { id } } } }";
    let body = gql(&emu, query, json!({})).await;
    let cost = &body["extensions"]["cost"];
    // Requested: 2 + 100 * (1 + 1); actual: 2 + the 30 orders + the customers they have.
    assert_eq!(cost["requestedQueryCost"], 202);
    let store = emu.store();
    let with_customer = store
        .order_ids()
        .into_iter()
        .filter(|o| store.order(*o).unwrap().customer_id.is_some())
        .count() as u64;
    let actual = cost["actualQueryCost"].as_u64().unwrap();
    assert_eq!(actual, 2 + 30 + with_customer, "{cost}");
    assert_eq!(cost["throttleStatus"]["maximumAvailable"], 300.0);
    assert_eq!(cost["throttleStatus"]["restoreRate"], 1.0);
    let available = cost["throttleStatus"]["currentlyAvailable"]
        .as_f64()
        .unwrap();
    assert!(available >= 300.0 - actual as f64 - 1.0 && available <= 300.0);
    // The next one would need 202 of the ~240 left... then a third is over budget.
    let second = gql(&emu, query, json!({})).await;
    assert!(second.get("data").is_some(), "{second}");
    let third = gql(&emu, query, json!({})).await;
    assert_eq!(
        third["errors"][0]["extensions"]["code"], "THROTTLED",
        "{third}"
    );
    assert_eq!(third["extensions"]["cost"]["actualQueryCost"], Value::Null);
    assert_eq!(emu.stats().throttled, 1);
    let over = gql(
        &emu,
        "{ products(first: 250) { nodes { variants(first: 10) { nodes { id } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(over["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED");
    let stats: Value = reqwest::get(format!("{}/__emulator/shopify/stats", emu.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["throttled"], 1);
}

#[tokio::test]
async fn fulfil_close_open_and_cancel_orders() {
    let emu = shop(small()).await;
    let store = emu.store();
    let order = store
        .order_ids()
        .into_iter()
        .find(|o| store.order(*o).unwrap().fulfillment_orders[0].status == "OPEN")
        .unwrap();
    let fo = store.order(order).unwrap().fulfillment_orders[0].id;
    let create = "mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
        fulfillment { id trackingInfo { number company url } } userErrors { field message } } }";
    let body = gql(&emu, create, json!({"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": gid("FulfillmentOrder", fo)}],
        "trackingInfo": {"number": "TRK-1", "company": "bpost"}, "notifyCustomer": false}})).await;
    let payload = &body["data"]["fulfillmentCreate"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    assert_eq!(payload["fulfillment"]["trackingInfo"][0]["number"], "TRK-1");
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 10);
    let after = store.order(order).unwrap();
    assert_eq!(after.fulfillment_status(), "FULFILLED");
    // The same fulfillment order again: it is closed now.
    let again = gql(&emu, create, json!({"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": gid("FulfillmentOrder", fo)}]}})).await;
    assert_eq!(
        again["data"]["fulfillmentCreate"]["userErrors"][0]["field"],
        json!([
            "fulfillment",
            "lineItemsByFulfillmentOrder",
            "0",
            "fulfillmentOrderId"
        ])
    );

    let close = "mutation($id: ID!) { orderClose(input: {id: $id}) { order { closed } userErrors { message } } }";
    let body = gql(&emu, close, json!({"id": gid("Order", order)})).await;
    assert_eq!(body["data"]["orderClose"]["order"]["closed"], true);
    let open = "mutation($id: ID!) { orderOpen(input: {id: $id}) { order { closed } userErrors { message } } }";
    let body = gql(&emu, open, json!({"id": gid("Order", order)})).await;
    assert_eq!(body["data"]["orderOpen"]["order"]["closed"], false);

    let cancel = "mutation($id: ID!, $reason: OrderCancelReason!) { orderCancel(orderId: $id, reason: $reason,
        refundMethod: {originalPaymentMethodsRefund: false}, restock: true, notifyCustomer: false) {
        job { id done } orderCancelUserErrors { field message code } } }";
    let bad = gql(
        &emu,
        cancel,
        json!({"id": gid("Order", order), "reason": "BORED"}),
    )
    .await;
    assert_eq!(
        bad["data"]["orderCancel"]["orderCancelUserErrors"][0]["field"],
        json!(["reason"])
    );
    let ok = gql(
        &emu,
        cancel,
        json!({"id": gid("Order", order), "reason": "OTHER"}),
    )
    .await;
    assert_eq!(
        ok["data"]["orderCancel"]["orderCancelUserErrors"],
        json!([]),
        "{ok}"
    );
    assert!(store.order(order).unwrap().cancelled_at.is_some());
    let reopen = gql(&emu, open, json!({"id": gid("Order", order)})).await;
    assert!(
        reopen["data"]["orderOpen"]["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Cancelled")
    );
}

#[tokio::test]
async fn stock_and_price_writes() {
    let emu = shop(small()).await;
    let store = emu.store();
    let product = store.product_ids()[0];
    let variant = store
        .variant(store.variant_ids(product).unwrap()[0])
        .unwrap();
    let location = store.locations()[0].id;
    let set = "mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) {
        inventoryAdjustmentGroup { changes { name delta quantityAfterChange } } userErrors { field message code } } }";
    let quantity = |change_from: Value| {
        json!({"input": {"name": "available", "reason": "correction", "quantities": [{
            "inventoryItemId": gid("InventoryItem", variant.inventory_item_id),
            "locationId": gid("Location", location), "quantity": 42, "changeFromQuantity": change_from}]}})
    };
    let stale = gql(&emu, set, quantity(json!(-1))).await;
    assert_eq!(
        stale["data"]["inventorySetQuantities"]["userErrors"][0]["code"],
        "CHANGE_FROM_QUANTITY_STALE"
    );
    let ok = gql(&emu, set, quantity(Value::Null)).await;
    assert_eq!(
        ok["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]["changes"][0]["quantityAfterChange"],
        42,
        "{ok}"
    );
    assert_eq!(store.variant(variant.id).unwrap().available[&location], 42);
    let mut missing = quantity(Value::Null);
    missing["input"]["quantities"][0]
        .as_object_mut()
        .unwrap()
        .remove("changeFromQuantity");
    let refused = gql(&emu, set, missing).await;
    assert_eq!(
        refused["data"]["inventorySetQuantities"]["userErrors"][0]["field"],
        json!(["input", "quantities", "0", "changeFromQuantity"])
    );

    let update = "mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) {
        productVariants { id price compareAtPrice } userErrors { field message } } }";
    let body = gql(&emu, update, json!({"p": gid("Product", product), "v": [{"id": gid("ProductVariant", variant.id), "price": "17.50", "compareAtPrice": "19.99"}]})).await;
    assert_eq!(
        body["data"]["productVariantsBulkUpdate"]["productVariants"][0]["price"], "17.50",
        "{body}"
    );
    assert_eq!(
        store.variant(variant.id).unwrap().compare_at_price,
        Some(1999)
    );
    let bad = gql(&emu, update, json!({"p": gid("Product", product), "v": [{"id": gid("ProductVariant", variant.id), "price": "cheap"}]})).await;
    assert_eq!(
        bad["data"]["productVariantsBulkUpdate"]["userErrors"][0]["field"],
        json!(["variants", "0", "price"])
    );
    let other = store.product_ids()[1];
    let foreign = gql(&emu, update, json!({"p": gid("Product", other), "v": [{"id": gid("ProductVariant", variant.id), "price": "1"}]})).await;
    assert_eq!(
        foreign["data"]["productVariantsBulkUpdate"]["userErrors"][0]["field"],
        json!(["variants", "0", "id"])
    );
}

#[tokio::test]
async fn bulk_query_operations_complete_into_a_jsonl_file() {
    let emu = shop(ShopifyConfig {
        bulk_delay: std::time::Duration::from_millis(300),
        ..small()
    })
    .await;
    let store = emu.store();
    let run = "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { field message } } }";
    let inner =
        "{ products { edges { node { id title variants { edges { node { id price } } } } } } }";
    let body = gql(&emu, run, json!({"q": inner})).await;
    let started = &body["data"]["bulkOperationRunQuery"];
    assert_eq!(started["userErrors"], json!([]), "{body}");
    let id = started["bulkOperation"]["id"].as_str().unwrap().to_owned();
    // One at a time.
    let again = gql(&emu, run, json!({"q": inner})).await;
    assert!(
        again["data"]["bulkOperationRunQuery"]["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already in progress")
    );
    let poll = "{ currentBulkOperation { id status objectCount rootObjectCount url } }";
    let body = gql(&emu, poll, json!({})).await;
    assert_ne!(body["data"]["currentBulkOperation"]["status"], "COMPLETED");
    assert_eq!(body["data"]["currentBulkOperation"]["url"], Value::Null);
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    let body = gql(&emu, "query($id: ID!) { node(id: $id) { ... on BulkOperation { id status objectCount rootObjectCount url } } }", json!({"id": id})).await;
    let op = &body["data"]["node"];
    assert_eq!(op["status"], "COMPLETED", "{body}");
    let products = store.product_ids();
    let variants: usize = products
        .iter()
        .map(|p| store.variant_ids(*p).unwrap().len())
        .sum();
    assert_eq!(op["rootObjectCount"], products.len().to_string());
    assert_eq!(op["objectCount"], (products.len() + variants).to_string());
    let text = reqwest::get(op["url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), products.len() + variants);
    assert_eq!(lines[0]["id"], gid("Product", products[0]));
    assert!(lines[0].get("variants").is_none());
    assert_eq!(lines[1]["__parentId"], gid("Product", products[0]));
    assert!(lines[1]["price"].is_string());
    let bad = gql(
        &emu,
        run,
        json!({"q": "{ products { edges { node { colour } } } }"}),
    )
    .await;
    assert!(
        bad["data"]["bulkOperationRunQuery"]["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("colour")
    );
}

#[tokio::test]
async fn faults_versions_and_bad_bodies() {
    use junction_emulators::{Fault, FaultKind};
    let emu = shop(small()).await;
    let client = reqwest::Client::new();
    let post = |url: String, body: &'static str| {
        client
            .post(url)
            .header("X-Shopify-Access-Token", "shpat_test_token")
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let query = r#"{"query": "{ shop { name } }"}"#;
    emu.set_faults(vec![Fault::times(FaultKind::ServerError, 1)]);
    let resp = post(emu.graphql_url(), query).await.unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    emu.set_faults(vec![Fault::times(
        FaultKind::RateLimited {
            retry_after_secs: 3,
        },
        1,
    )]);
    let resp = post(emu.graphql_url(), query).await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "3");
    let resp = post(emu.graphql_url(), query).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = post(
        format!("{}/admin/api/latest/graphql.json", emu.base_url()),
        query,
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = post(emu.graphql_url(), "{not json").await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = post(emu.graphql_url(), r#"{"query": "{ shop { name "}"#)
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Parse error")
    );
    assert_eq!(emu.stats().graphql_requests, 3);
}
