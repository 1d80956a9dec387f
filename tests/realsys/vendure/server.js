// A Vendure 3.7 server for Junction's end-to-end tests: Admin API at /admin-api, Shop API at
// /shop-api, on sql.js (SQLite compiled to WebAssembly, so nothing native to build).
//
// Environment:
//   PORT            the port to listen on (127.0.0.1 only); required
//   VENDURE_DB      the SQLite file to use (created when missing); required
//   VENDURE_SYNC    "1": create or update the schema from the entities (seeding); otherwise
//                   the file must already hold the schema, which makes start-up faster
//
// Prints "VENDURE READY <port>" on stdout once both APIs answer.
'use strict';

const { bootstrap, dummyPaymentHandler, DefaultLogger, LogLevel } = require('@vendure/core');

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`server.js: the environment variable ${name} is required`);
    process.exit(2);
  }
  return value;
}

const port = Number(required('PORT'));
const database = required('VENDURE_DB');

const config = {
  apiOptions: {
    hostname: '127.0.0.1',
    port,
    adminApiPath: 'admin-api',
    shopApiPath: 'shop-api',
  },
  authOptions: {
    // Sessions by bearer token (what `login` returns in the vendure-auth-token header) and
    // long-lived API keys in the vendure-api-key header; no cookies.
    tokenMethod: ['bearer', 'api-key'],
    superadminCredentials: { identifier: 'superadmin', password: 'superadmin' },
    requireVerification: false,
  },
  dbConnectionOptions: {
    type: 'sqljs',
    synchronize: process.env.VENDURE_SYNC === '1',
    location: database,
    autoSave: true,
    logging: false,
  },
  paymentOptions: { paymentMethodHandlers: [dummyPaymentHandler] },
  logger: new DefaultLogger({ level: LogLevel.Warn }),
  plugins: [],
};

bootstrap(config)
  .then(() => console.log(`VENDURE READY ${port}`))
  .catch(err => {
    console.error(err);
    process.exit(1);
  });
