// Decimal strings for money and quantities: the contract never carries floats. The same
// rules as the Rust SDK's `decimal` module; arithmetic is exact, on BigInt (never a
// JavaScript number: `add('0.1', '0.2')` is `'0.3'`).
//
// `normalize` validates a decimal given as text and returns it in a plain canonical form: an
// optional `-`, digits, and an optional fraction (`'9.9'`, `'-3'`, `'0.50'`). A leading `+` and
// superfluous leading zeros are dropped, `'.5'` becomes `'0.5'`, `'5.'` becomes `'5'`, `-0`
// becomes `0`, and exponents (`'1e-3'`, as JSON numbers may be written) are expanded.
// Trailing fraction zeros are kept: `'9.90'` stays `'9.90'`, so an amount keeps its scale.
// Anything else (`'abc'`, `'1,5'`, `'NaN'`, `''`) is refused with a `DecimalError`.
//
// Results keep scales as a decimal type does: a sum or difference has the larger scale of
// its operands (`add('1.5', '2.25')` is `'3.75'`), a product the sum of both
// (`multiply('19.99', '3')` is `'59.97'`, `multiply('1.10', '2.0')` is `'2.200'`).

/** The longest exponent `normalize` expands; larger ones are refused rather than producing huge strings. */
export const MAX_EXPONENT = 64;

/** A value that is not a decimal number; `input` is the text (or JSON) given. */
export class DecimalError extends Error {
  constructor(input) {
    super(`not a decimal number: ${JSON.stringify(input)}`);
    this.name = 'DecimalError';
    this.input = input;
  }
}

const DIGITS = /^[0-9]*$/;
const EXPONENT = /^[+-]?[0-9]+$/;

/** Validates and normalises a decimal string (see the module comment). */
export function normalize(input) {
  const refuse = () => new DecimalError(String(input));
  if (typeof input !== 'string') throw refuse();
  const text = input.trim();
  const negative = text.startsWith('-');
  const rest = negative || text.startsWith('+') ? text.slice(1) : text;
  let mantissa = rest;
  let exponent = 0;
  const at = rest.search(/[eE]/);
  if (at >= 0) {
    const written = rest.slice(at + 1);
    if (!EXPONENT.test(written)) throw refuse();
    exponent = Number(written);
    if (Math.abs(exponent) > MAX_EXPONENT) throw refuse();
    mantissa = rest.slice(0, at);
  }
  const point = mantissa.indexOf('.');
  const int = point < 0 ? mantissa : mantissa.slice(0, point);
  const frac = point < 0 ? '' : mantissa.slice(point + 1);
  if ((int === '' && frac === '') || !DIGITS.test(int) || !DIGITS.test(frac)) throw refuse();
  // Shift the decimal point by the exponent.
  let digits = int + frac;
  let shifted = int.length + exponent;
  if (shifted < 0) {
    digits = '0'.repeat(-shifted) + digits;
    shifted = 0;
  }
  digits = digits.padEnd(shifted, '0');
  const intPart = digits.slice(0, shifted).replace(/^0+/, '') || '0';
  const fracPart = digits.slice(shifted);
  const zero = intPart === '0' && /^0*$/.test(fracPart);
  return `${negative && !zero ? '-' : ''}${intPart}${fracPart === '' ? '' : `.${fracPart}`}`;
}

/** Whether a value is a decimal string `normalize` accepts. */
export function isDecimal(input) {
  try {
    normalize(input);
    return true;
  } catch (_) {
    return false;
  }
}

/**
 * Like `normalize`, but an empty (or all-space) string is `undefined`: many APIs send `''` for
 * "no value" (WooCommerce's `sale_price`, for one).
 */
export function normalizeOpt(input) {
  if (typeof input === 'string' && input.trim() === '') return undefined;
  return normalize(input);
}

/**
 * A decimal from a JSON value: a number (as JavaScript writes it, so `9.99` gives `'9.99'`;
 * parse the body with care if it may hold more digits than a double keeps), a BigInt, or a
 * string as `normalizeOpt` reads it. `null`, `undefined` and `''` give `undefined`; booleans,
 * arrays and objects are errors.
 */
export function fromJson(value) {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number' || typeof value === 'bigint') return normalize(String(value));
  if (typeof value === 'string') return normalizeOpt(value);
  throw new DecimalError(JSON.stringify(value));
}

/** A decimal from an integer (a safe-integer number or a BigInt). */
export function fromInt(n) {
  if (typeof n === 'bigint' || Number.isSafeInteger(n)) return String(n);
  throw new DecimalError(String(n));
}

// A decimal as an exact scaled integer: value = units / 10^scale.
function scaled(input) {
  const normal = normalize(input);
  const point = normal.indexOf('.');
  const scale = point < 0 ? 0 : normal.length - point - 1;
  return { units: BigInt(normal.replace('.', '')), scale };
}

function rescale(x, scale) {
  return x.units * 10n ** BigInt(scale - x.scale);
}

function format({ units, scale }) {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${int}${scale > 0 ? `.${frac}` : ''}`;
}

/** The exact sum `a + b`, with the larger scale of the two. */
export function add(a, b) {
  const x = scaled(a);
  const y = scaled(b);
  const scale = Math.max(x.scale, y.scale);
  return format({ units: rescale(x, scale) + rescale(y, scale), scale });
}

/** The exact difference `a - b`, with the larger scale of the two. */
export function subtract(a, b) {
  const x = scaled(a);
  const y = scaled(b);
  const scale = Math.max(x.scale, y.scale);
  return format({ units: rescale(x, scale) - rescale(y, scale), scale });
}

/** The exact product `a × b`; its scale is the sum of both. */
export function multiply(a, b) {
  const x = scaled(a);
  const y = scaled(b);
  return format({ units: x.units * y.units, scale: x.scale + y.scale });
}

/** Compares two decimals by value (`'1.0'` equals `'1'`): -1, 0 or 1. */
export function compare(a, b) {
  const x = scaled(a);
  const y = scaled(b);
  const scale = Math.max(x.scale, y.scale);
  const difference = rescale(x, scale) - rescale(y, scale);
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}

/** The exact sum of decimal strings, with the largest scale among them (`[]` gives `'0'`). */
export function sum(values) {
  let total = '0';
  for (const value of values) total = add(total, value);
  return total;
}
