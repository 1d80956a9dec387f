// Runs a connector's module under plain Node, without a host: unit tests in a second.
//
//   node --import ./lib/native/register.js --test test/
//
// Inside a component the connector imports `junction:connector/host@…` (its log); here that
// import resolves to ./host.js, which keeps the lines for tests to read. HTTP needs nothing:
// lib/http.js is on `fetch()`, which Node has (componentize-js runs the same calls over
// wasi:http). Values are as componentize-js passes them: records with camelCase fields,
// variants `{ tag, val }`, options `undefined`, u64/s64 BigInt.

import { register } from 'node:module';

register('./hooks.js', import.meta.url);
