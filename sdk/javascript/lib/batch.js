// Batches of writes (the contract's `write-batch`, exported as `writeBatch`) for Junction
// connectors in JavaScript.
//
// `writeBatch(config, ops)` returns one result per op, in the order of `ops`. Inside the
// list, componentize-js represents each `result<write-outcome, connector-error>` as
// `{ tag: 'ok', val: outcome }` or `{ tag: 'err', val: error }`; the call as a whole still
// returns the list or throws one contract error.

import { asConnectorError } from './errors.js';

/** Errors on the first op that mean no op can be attempted: the whole call fails with them. */
const STOPS_WHOLE_BATCH = new Set(['invalid-config', 'unauthorized']);

/**
 * The default `writeBatch`: performs `ops` one by one with `write` (an async function taking
 * one op and returning its outcome, throwing its contract error), in order, for systems
 * without batch endpoints.
 *
 * - One op failing does not stop the others: its slot holds its error.
 * - After a `rate-limited` error, the remaining ops are not sent; each gets that same error.
 * - When the first op fails with `invalid-config` or `unauthorized`, nothing else is
 *   attempted and the error is thrown (the whole call fails).
 *
 *     async writeBatch(configJson, ops) {
 *       return writeEach(ops, (op) => this.write(configJson, op));
 *     },
 */
export async function writeEach(ops, write) {
  const results = [];
  let halted;
  for (const [index, op] of ops.entries()) {
    if (halted !== undefined) {
      results.push({ tag: 'err', val: halted });
      continue;
    }
    try {
      results.push({ tag: 'ok', val: await write(op) });
    } catch (e) {
      const error = asConnectorError(e);
      if (index === 0 && STOPS_WHOLE_BATCH.has(error.tag)) throw error;
      if (error.tag === 'rate-limited') halted = error;
      results.push({ tag: 'err', val: error });
    }
  }
  return results;
}
