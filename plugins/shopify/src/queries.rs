//! The GraphQL documents the connector sends, and what one node of each listing costs.
//!
//! Costs follow Shopify's calculation (objects 1, scalars 0, a connection 2 plus `first`
//! times one node, a list with `first` counted like a connection): a page is sized so its
//! requested cost stays within [`PAGE_COST_BUDGET`] ([`fit_page_size`]), well inside the
//! single-query limit of 1000 points. The node costs here are checked against the emulator's calculation
//! by the end-to-end smoke runs (a page over the limit would be refused).
//!
//! Orders read their first [`ORDER_LINES`] lines with the order; an order with more gets
//! the rest from [`ORDER_MORE_LINES`].

/// The most points one page may request: half the Standard plan's 1000-point bucket (and
/// the single-query limit), so that after a page the next one is available again within
/// a few seconds of restore instead of being throttled while the bucket refills.
pub const PAGE_COST_BUDGET: u32 = 500;

/// Lines read with each order.
pub const ORDER_LINES: u32 = 10;

const ADDRESS: &str = "fragment Addr on MailingAddress { firstName lastName company address1 address2 city province zip countryCodeV2 phone }";

const LINE: &str = "fragment Line on LineItem { id sku name quantity variant { legacyResourceId } product { legacyResourceId } originalUnitPriceSet { shopMoney { amount } } discountedTotalSet { shopMoney { amount } } }";

/// Cost of one line: the node 1, variant 1, product 1, two money bags of 2.
const LINE_COST: u32 = 7;

const ORDER: &str = "fragment O on Order { id legacyResourceId name email createdAt updatedAt closed cancelledAt displayFinancialStatus displayFulfillmentStatus currencyCode paymentGatewayNames totalPriceSet { shopMoney { amount } } subtotalPriceSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } } totalShippingPriceSet { shopMoney { amount } } totalDiscountsSet { shopMoney { amount } } customer { legacyResourceId } billingAddress { ...Addr } shippingAddress { ...Addr } lineItems(first: 10) { pageInfo { hasNextPage endCursor } nodes { ...Line } } fulfillments(first: 5) { createdAt trackingInfo(first: 3) { number company url } } }";

/// Cost of one order: the node 1, customer 1, two addresses 2, five money bags 10, the
/// lines `2 + 10 * 7`, fulfillments `2 + 5 * (1 + (2 + 3 * 1))`.
pub const ORDER_COST: u32 = 1 + 1 + 2 + 10 + (2 + ORDER_LINES * LINE_COST) + (2 + 5 * 6);

const CUSTOMER: &str = "fragment C on Customer { id legacyResourceId firstName lastName createdAt updatedAt defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } defaultAddress { ...Addr } }";

/// Cost of one customer: the node and its three objects.
pub const CUSTOMER_COST: u32 = 4;

const PRODUCT: &str = "fragment P on Product { id legacyResourceId title status createdAt updatedAt totalInventory tracksInventory hasOnlyDefaultVariant variants(first: 1) { nodes { sku price compareAtPrice } } }";

/// Cost of one product: the node 1, its first variant `2 + 1`.
pub const PRODUCT_COST: u32 = 4;

const VARIANT: &str = "fragment V on ProductVariant { id legacyResourceId title sku price compareAtPrice inventoryQuantity createdAt updatedAt selectedOptions { name value } product { legacyResourceId } }";

/// Cost of one variant: the node, its options list and its product.
pub const VARIANT_COST: u32 = 3;

/// A page of orders.
pub fn orders_page() -> String {
    format!(
        "query Orders($first: Int!, $after: String, $query: String) {{ orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ ...O }} }} }} {ORDER} {ADDRESS} {LINE}"
    )
}

/// The lines of one order after a cursor.
pub const ORDER_MORE_LINES_QUERY: &str = "query Lines($id: ID!, $after: String) { order(id: $id) { lineItems(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...Line } } } }";

/// [`ORDER_MORE_LINES_QUERY`] with its fragment.
pub fn order_more_lines() -> String {
    format!("{ORDER_MORE_LINES_QUERY} {LINE}")
}

/// A page of customers.
pub fn customers_page() -> String {
    format!(
        "query Customers($first: Int!, $after: String, $query: String) {{ customers(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ ...C }} }} }} {CUSTOMER} {ADDRESS}"
    )
}

/// A page of products.
pub fn products_page() -> String {
    format!(
        "query Products($first: Int!, $after: String, $query: String) {{ products(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ ...P }} }} }} {PRODUCT}"
    )
}

/// A page of one product's variants.
pub fn variants_page() -> String {
    format!(
        "query Variants($id: ID!, $first: Int!, $after: String) {{ product(id: $id) {{ id variants(first: $first, after: $after) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ ...V }} }} }} }} {VARIANT}"
    )
}

/// A page of ids only (a reconciliation scan) of `root` (`orders`, `customers`,
/// `products`), in id order.
pub fn ids_page(root: &str) -> String {
    format!(
        "query Ids($first: Int!, $after: String) {{ {root}(first: $first, after: $after, sortKey: ID) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ legacyResourceId updatedAt }} }} }}"
    )
}

/// One order, customer, product or variant by global id.
pub fn single(root: &str) -> String {
    let (fragment, name, extra) = match root {
        "order" => ("O", ORDER, format!("{ADDRESS} {LINE}")),
        "customer" => ("C", CUSTOMER, ADDRESS.to_owned()),
        "product" => ("P", PRODUCT, String::new()),
        _ => ("V", VARIANT, String::new()),
    };
    format!("query One($id: ID!) {{ {root}(id: $id) {{ ...{fragment} }} }} {name} {extra}")
}

const ORDER_BULK: &str = "fragment O on Order { id legacyResourceId name email createdAt updatedAt closed cancelledAt displayFinancialStatus displayFulfillmentStatus currencyCode paymentGatewayNames totalPriceSet { shopMoney { amount } } subtotalPriceSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } } totalShippingPriceSet { shopMoney { amount } } totalDiscountsSet { shopMoney { amount } } customer { legacyResourceId } billingAddress { ...Addr } shippingAddress { ...Addr } lineItems { edges { node { ...Line } } } fulfillments(first: 5) { createdAt trackingInfo(first: 3) { number company url } } }";

const PRODUCT_BULK: &str = "fragment P on Product { id legacyResourceId title status createdAt updatedAt totalInventory tracksInventory hasOnlyDefaultVariant variants { edges { node { id sku price compareAtPrice } } } }";

/// The bulk query of a full listing (`orders`, `customers` or `products`): the listing's
/// fields, nested connections without a page size, as bulk operations take them.
pub fn bulk(root: &str) -> String {
    match root {
        "orders" => format!(
            "{{ orders(sortKey: ID) {{ edges {{ node {{ ...O }} }} }} }} {ORDER_BULK} {ADDRESS} {LINE}"
        ),
        "customers" => format!(
            "{{ customers(sortKey: ID) {{ edges {{ node {{ ...C }} }} }} }} {CUSTOMER} {ADDRESS}"
        ),
        _ => {
            format!("{{ products(sortKey: ID) {{ edges {{ node {{ ...P }} }} }} }} {PRODUCT_BULK}")
        }
    }
}

/// Starts a bulk query.
pub const BULK_RUN: &str = "mutation Bulk($query: String!) { bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message } } }";

/// A bulk operation's state.
pub const BULK_STATUS: &str = "query BulkStatus($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode url objectCount } } }";

/// The shop, for `check`.
pub const SHOP: &str = "{ shop { name myshopifyDomain } }";

/// The largest page of nodes costing `node_cost` whose requested cost (2 for the
/// connection plus the nodes) stays within [`PAGE_COST_BUDGET`], and within `wanted`.
pub fn fit_page_size(wanted: u32, node_cost: u32) -> u32 {
    let fits = (PAGE_COST_BUDGET - 2) / node_cost.max(1);
    wanted.min(fits).max(1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn pages_fit_the_single_query_limit() {
        assert_eq!(ORDER_COST, 118);
        assert_eq!(fit_page_size(250, ORDER_COST), 4);
        assert!(2 + fit_page_size(250, ORDER_COST) * ORDER_COST <= PAGE_COST_BUDGET);
        assert_eq!(fit_page_size(50, CUSTOMER_COST), 50);
        assert_eq!(fit_page_size(250, CUSTOMER_COST), 124);
        assert_eq!(fit_page_size(0, PRODUCT_COST), 1);
    }

    #[test]
    fn documents_carry_their_fragments() {
        for doc in [
            orders_page(),
            customers_page(),
            products_page(),
            variants_page(),
            single("order"),
            single("productVariant"),
        ] {
            for (spread, def) in [
                ("...O", "fragment O "),
                ("...Addr", "fragment Addr "),
                ("...Line", "fragment Line "),
                ("...C", "fragment C "),
                ("...P", "fragment P "),
                ("...V", "fragment V "),
            ] {
                assert_eq!(doc.contains(spread), doc.contains(def), "{spread} in {doc}");
            }
        }
        assert!(order_more_lines().contains("fragment Line "));
        for root in ["orders", "customers", "products"] {
            let doc = bulk(root);
            assert!(
                !doc.contains("first: $") && !doc.contains("pageInfo"),
                "{doc}"
            );
            for (spread, def) in [
                ("...O", "fragment O "),
                ("...Addr", "fragment Addr "),
                ("...Line", "fragment Line "),
                ("...C", "fragment C "),
                ("...P", "fragment P "),
            ] {
                assert_eq!(doc.contains(spread), doc.contains(def), "{spread} in {doc}");
            }
        }
    }
}
