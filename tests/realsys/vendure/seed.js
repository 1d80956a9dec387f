// Builds the seeded Vendure database the tests start from: runs server.js on a scratch file,
// sets the shop up and fills it through the real APIs, then moves the file into place.
//
//   node seed.js <output.sqlite> <port>
//
// The shop: EUR prices, 21% VAT, one shipping method, two dummy payment methods (one settles
// at once, one only authorizes); 24 products (16 with one variant, 7 with three sizes, and a
// poster with 4 sizes x 6 colours = 24 variants, so even one product's variants span pages);
// 12 customers created by an administrator and 12 who registered themselves; 28 orders placed
// through the Shop API (logged-in customers and guests; settled or only authorized; some
// shipped with tracking, one delivered, one cancelled) and 2 open carts, which are not orders.
// Also writes <output>.api-key: a SuperAdmin API key for the `vendure-api-key` header.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const [output, portArg] = process.argv.slice(2);
if (!output || !portArg) {
  console.error('usage: node seed.js <output.sqlite> <port>');
  process.exit(2);
}
const port = Number(portArg);
const base = `http://127.0.0.1:${port}`;
const scratch = `${output}.seeding`;
fs.rmSync(scratch, { force: true });

function startServer() {
  const child = spawn(process.execPath, [path.join(__dirname, 'server.js')], {
    env: { ...process.env, PORT: String(port), VENDURE_DB: scratch, VENDURE_SYNC: '1', VENDURE_DISABLE_TELEMETRY: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', chunk => {
      out += chunk;
      if (out.includes('VENDURE READY')) resolve(child);
    });
    child.on('exit', code => reject(new Error(`server.js exited with ${code} before it was ready`)));
  });
}

/** A GraphQL client for one API with its own session (the `vendure-auth-token` header). */
function client(api) {
  let token = null;
  return async (query, variables = {}) => {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${base}/${api}-api`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const fresh = res.headers.get('vendure-auth-token');
    if (fresh) token = fresh;
    const body = await res.json();
    if (body.errors) throw new Error(`${api}: ${JSON.stringify(body.errors).slice(0, 800)}\n${query}`);
    for (const value of Object.values(body.data)) {
      if (value && value.errorCode) throw new Error(`${api}: ${value.errorCode}: ${value.message}\n${query}`);
    }
    return body.data;
  };
}

const en = name => [{ languageCode: 'en', name, slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'), description: '' }];
const FIRST = ['Ana', 'Bram', 'Chloe', 'Dirk', 'Elif', 'Femke', 'Gert', 'Hanna', 'Ines', 'Joris', 'Katrien', 'Lars'];
const LAST = ['Peeters', 'Janssens', 'Maes', 'Jacobs', 'Willems', 'Claes', 'Goossens', 'Wouters', 'De Smet', 'Dubois', 'Lambert', 'Martin'];
const CITIES = [['BE', 'Gent', '9000'], ['BE', 'Antwerpen', '2000'], ['NL', 'Utrecht', '3511'], ['DE', 'Köln', '50667'], ['ES', 'Madrid', '28001']];
const address = i => {
  const [countryCode, city, postalCode] = CITIES[i % CITIES.length];
  return { fullName: `${FIRST[i % 12]} ${LAST[(i * 5) % 12]}`, company: i % 4 === 0 ? `Firma ${i}` : undefined,
    streetLine1: `${i + 1} Stationsstraat`, streetLine2: i % 3 === 0 ? `bus ${i}` : undefined, city,
    postalCode, countryCode, phoneNumber: `+32 470 00 ${String(i).padStart(2, '0')} 00` };
};

async function setUpShop(A) {
  await A(`mutation { login(username:"superadmin", password:"superadmin") { ... on CurrentUser { id } } }`);
  const countries = [['BE', 'Belgium'], ['NL', 'Netherlands'], ['DE', 'Germany'], ['ES', 'Spain']];
  const ids = [];
  for (const [code, name] of countries) {
    ids.push((await A(`mutation($n:String!,$c:String!) { createCountry(input:{code:$c, enabled:true, translations:[{languageCode:en, name:$n}]}) { id } }`, { c: code, n: name })).createCountry.id);
  }
  const zone = (await A(`mutation($m:[ID!]) { createZone(input:{name:"Europe", memberIds:$m}) { id } }`, { m: ids })).createZone.id;
  await A(`mutation($z:ID!) { updateChannel(input:{id:1, defaultTaxZoneId:$z, defaultShippingZoneId:$z,
      defaultCurrencyCode:EUR, availableCurrencyCodes:[EUR]}) { ... on Channel { id } } }`, { z: zone });
  const tax = (await A(`mutation { createTaxCategory(input:{name:"Standard", isDefault:true}) { id } }`)).createTaxCategory.id;
  await A(`mutation($c:ID!,$z:ID!) { createTaxRate(input:{name:"VAT 21", enabled:true, value:21, categoryId:$c, zoneId:$z}) { id } }`, { c: tax, z: zone });
  await A(`mutation { createShippingMethod(input:{code:"standard", fulfillmentHandler:"manual-fulfillment",
      checker:{code:"default-shipping-eligibility-checker", arguments:[{name:"orderMinimum", value:"0"}]},
      calculator:{code:"default-shipping-calculator", arguments:[{name:"rate", value:"495"},{name:"includesTax", value:"exclude"},{name:"taxRate", value:"21"}]},
      translations:[{languageCode:en, name:"Standard", description:""}]}) { id } }`);
  for (const [code, settle] of [['pay-now', 'true'], ['pay-later', 'false']]) {
    await A(`mutation($c:String!,$s:String!) { createPaymentMethod(input:{code:$c, enabled:true,
        handler:{code:"dummy-payment-handler", arguments:[{name:"automaticSettle", value:$s}]},
        translations:[{languageCode:en, name:$c}]}) { id } }`, { c: code, s: settle });
  }
  const roles = (await A(`{ roles { items { id code } } }`)).roles.items;
  const superadmin = roles.find(r => r.code === '__super_admin_role__');
  const key = await A(`mutation($r:[ID!]!) { createApiKey(input:{roleIds:$r, translations:[{languageCode:en, name:"junction-tests"}]}) { apiKey } }`, { r: [superadmin.id] });
  fs.writeFileSync(`${output}.api-key`, key.createApiKey.apiKey);
}

async function createProducts(A) {
  const variants = [];
  const optionGroup = async (productId, code, name, values) => {
    const group = (await A(`mutation($i:CreateProductOptionGroupInput!) { createProductOptionGroup(input:$i) { id options { id code } } }`, {
      i: { code: `${code}-${productId}`, translations: [{ languageCode: 'en', name }],
        options: values.map(v => ({ code: v.toLowerCase(), translations: [{ languageCode: 'en', name: v }] })) },
    })).createProductOptionGroup;
    await A(`mutation($p:ID!,$g:ID!) { addOptionGroupToProduct(productId:$p, optionGroupId:$g) { id } }`, { p: productId, g: group.id });
    return values.map(v => [v, group.options.find(o => o.code === v.toLowerCase()).id]);
  };
  const create = async (name, specs) => {
    const product = (await A(`mutation($t:[ProductTranslationInput!]!) { createProduct(input:{translations:$t}) { id } }`, { t: en(name) })).createProduct;
    const made = (await A(`mutation($i:[CreateProductVariantInput!]!) { createProductVariants(input:$i) { id } }`, {
      i: specs.map(s => ({ productId: product.id, sku: s.sku, price: s.price, stockOnHand: s.stock, optionIds: s.optionIds || [],
        translations: [{ languageCode: 'en', name: s.name }] })),
    })).createProductVariants;
    variants.push(...made.map(v => v.id));
  };
  for (let i = 1; i <= 23; i++) {
    const name = `Item ${String(i).padStart(2, '0')}`;
    const price = 500 + i * 137;
    if (i % 3 === 0) {
      const product = (await A(`mutation($t:[ProductTranslationInput!]!) { createProduct(input:{translations:$t}) { id } }`, { t: en(`${name} Shirt`) })).createProduct;
      const sizes = await optionGroup(product.id, 'size', 'Size', ['S', 'M', 'L']);
      const made = (await A(`mutation($i:[CreateProductVariantInput!]!) { createProductVariants(input:$i) { id } }`, {
        i: sizes.map(([size, optionId], k) => ({ productId: product.id, sku: `SHIRT-${i}-${size}`, price: price + k * 100,
          stockOnHand: 20 + k, optionIds: [optionId], translations: [{ languageCode: 'en', name: `${name} Shirt ${size}` }] })),
      })).createProductVariants;
      variants.push(...made.map(v => v.id));
    } else {
      await create(name, [{ sku: `ITEM-${i}`, name, price, stock: 10 + i }]);
    }
  }
  // The poster: two option groups, 24 variants.
  const poster = (await A(`mutation($t:[ProductTranslationInput!]!) { createProduct(input:{translations:$t}) { id } }`, { t: en('Poster') })).createProduct;
  const sizes = await optionGroup(poster.id, 'format', 'Format', ['A4', 'A3', 'A2', 'A1']);
  const colours = await optionGroup(poster.id, 'colour', 'Colour', ['Red', 'Green', 'Blue', 'Black', 'White', 'Gold']);
  const specs = [];
  sizes.forEach(([size, sizeId], a) => colours.forEach(([colour, colourId], b) => specs.push({
    productId: poster.id, sku: `POSTER-${size}-${colour.toUpperCase()}`, price: 990 + a * 500, stockOnHand: 5 + b,
    optionIds: [sizeId, colourId], translations: [{ languageCode: 'en', name: `Poster ${size} ${colour}` }],
  })));
  const made = (await A(`mutation($i:[CreateProductVariantInput!]!) { createProductVariants(input:$i) { id } }`, { i: specs })).createProductVariants;
  variants.push(...made.map(v => v.id));
  return variants;
}

async function createCustomers(A) {
  for (let i = 0; i < 12; i++) {
    const customer = (await A(`mutation($i:CreateCustomerInput!) { createCustomer(input:$i) { ... on Customer { id } } }`, {
      i: { firstName: FIRST[i], lastName: LAST[i], emailAddress: `admin-made-${i}@example.com`, phoneNumber: `+32 9 000 00 ${i}` },
    })).createCustomer;
    const { countryCode, ...rest } = address(i);
    await A(`mutation($c:ID!,$i:CreateAddressInput!) { createCustomerAddress(customerId:$c, input:$i) { id } }`, {
      c: customer.id, i: { ...rest, countryCode, defaultShippingAddress: true, defaultBillingAddress: true },
    });
  }
  const accounts = [];
  for (let i = 0; i < 12; i++) {
    const S = client('shop');
    const email = `shopper-${i}@example.com`;
    await S(`mutation($i:RegisterCustomerInput!) { registerCustomerAccount(input:$i) { ... on Success { success } ... on ErrorResult { errorCode message } } }`, {
      i: { emailAddress: email, firstName: FIRST[(i + 3) % 12], lastName: LAST[(i + 7) % 12], password: 'shopper-pass' },
    });
    accounts.push(email);
  }
  return accounts;
}

/** Places one order through the Shop API; returns its code. */
async function placeOrder(n, variants, account) {
  const S = client('shop');
  if (account) {
    await S(`mutation($u:String!) { login(username:$u, password:"shopper-pass") { ... on CurrentUser { id } } }`, { u: account });
  }
  const lines = 1 + (n % 3);
  for (let k = 0; k < lines; k++) {
    const v = variants[(n * 7 + k * 11) % variants.length];
    await S(`mutation($v:ID!,$q:Int!) { addItemToOrder(productVariantId:$v, quantity:$q) { ... on Order { id } } }`, { v, q: 1 + ((n + k) % 3) });
  }
  if (!account) {
    await S(`mutation($i:CreateCustomerInput!) { setCustomerForOrder(input:$i) { ... on Order { id } } }`, {
      i: { emailAddress: `guest-${n}@example.com`, firstName: FIRST[n % 12], lastName: LAST[(n + 2) % 12] },
    });
  }
  const { fullName, company, streetLine1, streetLine2, city, postalCode, countryCode, phoneNumber } = address(n);
  const addr = { fullName, company, streetLine1, streetLine2, city, postalCode, countryCode, phoneNumber };
  await S(`mutation($i:CreateAddressInput!) { setOrderShippingAddress(input:$i) { ... on Order { id } } }`, { i: addr });
  await S(`mutation($i:CreateAddressInput!) { setOrderBillingAddress(input:$i) { ... on Order { id } } }`, { i: { ...addr, company: 'Billing BV' } });
  const methods = (await S(`{ eligibleShippingMethods { id } }`)).eligibleShippingMethods;
  await S(`mutation($id:[ID!]!) { setOrderShippingMethod(shippingMethodId:$id) { ... on Order { id } } }`, { id: [methods[0].id] });
  await S(`mutation { transitionOrderToState(state:"ArrangingPayment") { ... on Order { id } ... on OrderStateTransitionError { errorCode message transitionError } } }`);
  const method = n % 4 === 3 ? 'pay-later' : 'pay-now';
  const placed = await S(`mutation($m:String!) { addPaymentToOrder(input:{method:$m, metadata:{}}) { ... on Order { id code state } } }`, { m: method });
  return placed.addPaymentToOrder;
}

/** Open carts: active orders, which the connector must not list as orders. */
async function leaveCart(n, variants) {
  const S = client('shop');
  await S(`mutation($v:ID!) { addItemToOrder(productVariantId:$v, quantity:1) { ... on Order { id } } }`, { v: variants[n % variants.length] });
}

async function fulfil(A, orderId, trackingCode, finalState) {
  const order = (await A(`query($id:ID!) { order(id:$id) { lines { id quantity } } }`, { id: orderId })).order;
  const f = (await A(`mutation($l:[OrderLineInput!]!,$t:String!) { addFulfillmentToOrder(input:{lines:$l, handler:{code:"manual-fulfillment",
      arguments:[{name:"method", value:"bpost"},{name:"trackingCode", value:$t}]}}) { ... on Fulfillment { id } ... on ErrorResult { errorCode message } } }`, {
    l: order.lines.map(l => ({ orderLineId: l.id, quantity: l.quantity })), t: trackingCode,
  })).addFulfillmentToOrder;
  for (const state of finalState === 'Delivered' ? ['Shipped', 'Delivered'] : ['Shipped']) {
    await A(`mutation($id:ID!,$s:String!) { transitionFulfillmentToState(id:$id, state:$s) { ... on Fulfillment { id } ... on ErrorResult { errorCode message } } }`, { id: f.id, s: state });
  }
}

async function main() {
  const server = await startServer();
  try {
    const A = client('admin');
    await setUpShop(A);
    const variants = await createProducts(A);
    const accounts = await createCustomers(A);
    const orders = [];
    for (let n = 0; n < 28; n++) {
      orders.push(await placeOrder(n, variants, n % 2 === 0 ? accounts[(n / 2) % accounts.length] : null));
    }
    await leaveCart(1, variants);
    await leaveCart(2, variants);
    const settled = orders.filter(o => o.state === 'PaymentSettled');
    await fulfil(A, settled[0].id, 'TRACK-0001', 'Shipped');
    await fulfil(A, settled[1].id, 'TRACK-0002', 'Shipped');
    await fulfil(A, settled[2].id, 'TRACK-0003', 'Delivered');
    await A(`mutation($id:ID!) { cancelOrder(input:{orderId:$id, reason:"customer asked", cancelShipping:true}) { ... on Order { id } } }`, { id: settled[3].id });
    console.log(`seeded: ${variants.length} variants, ${orders.length} orders`);
  } finally {
    server.kill('SIGTERM');
    await new Promise(resolve => server.once('exit', resolve));
  }
  fs.renameSync(scratch, output);
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
