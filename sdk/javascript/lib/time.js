// Timestamps the way the contract wants them: RFC 3339 in UTC with a `Z`
// (`2026-01-31T12:00:00Z`), as the Rust SDK's `time` module writes them.
//
// External systems write instants in many shapes. `parseUtc` accepts RFC 3339 with `Z` or an
// offset, and also a date-time without a zone, which it reads as UTC (WooCommerce's `*_gmt`
// fields look like `2017-03-22T16:28:02`; MySQL-style `2017-03-22 16:28:02` is taken too).
// `normalizeUtc` turns any of them into the canonical string; `formatNaiveUtc` goes the other
// way for APIs that want a zone-less UTC date-time in queries.
//
// A `Timestamp` keeps whole seconds and nanoseconds (a JavaScript `Date` has only
// milliseconds, and the contract's timestamps may carry more), within the range the Rust SDK
// can represent, so the same text gives the same answer in every language.

/** Earliest and latest whole seconds a timestamp may have (the Rust SDK's range). */
export const MIN_EPOCH_SECONDS = -377705023201;
export const MAX_EPOCH_SECONDS = 253402207200;

const SECONDS_PER_DAY = 86400;
const NANOS_PER_SECOND = 1_000_000_000;

/** A timestamp that could not be read: `input` is the text given, `reason` why it was refused. */
export class TimeError extends Error {
  constructor(input, reason) {
    super(`invalid timestamp ${JSON.stringify(String(input))}: ${reason}`);
    this.name = 'TimeError';
    this.input = String(input);
    this.reason = reason;
  }

  /** This error as the contract's `upstream` error (a timestamp from the external system). */
  intoUpstream(status) {
    return { tag: 'upstream', val: { status, message: this.message } };
  }
}

/** An instant: whole `seconds` since the Unix epoch (floored) and `nanos` (0 to 999,999,999) after them. */
export class Timestamp {
  constructor(seconds, nanos = 0) {
    this.seconds = seconds;
    this.nanos = nanos;
  }

  /** The canonical form (see `formatUtc`). */
  toString() {
    return formatUtc(this);
  }
}

/** The earliest instant a timestamp may be (what `minusSeconds` saturates at). */
export const MIN_TIMESTAMP = new Timestamp(MIN_EPOCH_SECONDS, 0);

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
function daysFromCivil(year, month, day) {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

// The date of a day since 1970-01-01 (Howard Hinnant's `civil_from_days`).
function civilFromDays(days) {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysInMonth(year, month) {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// Date, `T`/`t`/space, hours, optional minutes and seconds with a fraction (`.` or `,`),
// optional zone (`Z`, `+HH`, `+HH:MM`, `+HHMM`, `+HH:MM:SS`): what the Rust SDK's parser takes.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?)?$/;

function inRange(seconds) {
  return seconds >= MIN_EPOCH_SECONDS && seconds <= MAX_EPOCH_SECONDS;
}

/**
 * Parses RFC 3339 (`Z` or an offset), or a date-time without zone taken as UTC. `T`, `t` or a
 * space may separate date and time; fractional seconds are kept. Throws `TimeError`.
 */
export function parseUtc(input) {
  const text = String(input ?? '').trim();
  const refuse = (reason) => new TimeError(input, reason);
  if (text === '') throw refuse('empty');
  if (!['T', 't', ' '].includes(text[10])) {
    throw refuse('expected a date and a time, e.g. 2026-01-31T12:00:00Z');
  }
  const parts = DATE_TIME.exec(text);
  if (parts === null) throw refuse('not an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z');
  // parts[8] is a `Z`, which needs nothing.
  const [, y, mo, d, h, mi = '00', s = '0', fraction = '', , sign, offsetHours = '0', offsetMinutes = '0', offsetSeconds = '0'] = parts;
  const [year, month, day, hour, minute] = [y, mo, d, h, mi].map(Number);
  // A leap second is read as the last second of its minute, as the Rust SDK does.
  const second = Math.min(Number(s), 59);
  if (month < 1 || month > 12) throw refuse(`month ${mo} is not between 01 and 12`);
  if (day < 1 || day > daysInMonth(year, month)) throw refuse(`day ${d} does not exist in ${y}-${mo}`);
  if (hour > 23) throw refuse(`hour ${h} is not between 00 and 23`);
  if (minute > 59) throw refuse(`minute ${mi} is not between 00 and 59`);
  if (Number(s) > 60) throw refuse(`second ${s} is not between 00 and 59`);
  let offset = 0;
  if (sign !== undefined) {
    if (Number(offsetHours) > 25 || Number(offsetMinutes) > 59 || Number(offsetSeconds) > 59) {
      throw refuse('the offset is out of range (at most ±25:59:59)');
    }
    offset = (sign === '-' ? -1 : 1) * (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60 + Number(offsetSeconds));
  }
  const seconds = daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset;
  if (!inRange(seconds)) throw refuse('out of the supported range');
  return new Timestamp(seconds, Number(fraction.padEnd(9, '0')));
}

/** The current instant (from the wall clock the host provides). */
export function now() {
  const ms = Date.now();
  return new Timestamp(Math.floor(ms / 1000), (ms - Math.floor(ms / 1000) * 1000) * 1_000_000);
}

function pad(n, width) {
  return String(n).padStart(width, '0');
}

function civil(ts) {
  const days = Math.floor(ts.seconds / SECONDS_PER_DAY);
  const ofDay = ts.seconds - days * SECONDS_PER_DAY;
  const date = civilFromDays(days);
  const year = date.year < 0 ? `-${pad(-date.year, 6)}` : pad(date.year, 4);
  const time = `${pad(Math.floor(ofDay / 3600), 2)}:${pad(Math.floor((ofDay % 3600) / 60), 2)}:${pad(ofDay % 60, 2)}`;
  return `${year}-${pad(date.month, 2)}-${pad(date.day, 2)}T${time}`;
}

/** The canonical form: `YYYY-MM-DDTHH:MM:SSZ`, with a fraction only when it is not zero. */
export function formatUtc(ts) {
  const fraction = ts.nanos === 0 ? '' : `.${pad(ts.nanos, 9).replace(/0+$/, '')}`;
  return `${civil(ts)}${fraction}Z`;
}

/** Any form `parseUtc` takes, as the canonical UTC string. */
export function normalizeUtc(input) {
  return formatUtc(parseUtc(input));
}

/**
 * Like `normalizeUtc` for optional fields: `null`, `undefined`, empty strings and MySQL's
 * zero date (`0000-00-00 00:00:00`) give `undefined`.
 */
export function normalizeUtcOpt(input) {
  const text = input == null ? '' : String(input).trim();
  if (text === '' || text.startsWith('0000-00-00')) return undefined;
  return normalizeUtc(text);
}

/**
 * A zone-less UTC date-time with whole seconds, `YYYY-MM-DDTHH:MM:SS` (the fraction is
 * dropped), as WooCommerce takes it with `dates_are_gmt=true`.
 */
export function formatNaiveUtc(ts) {
  return civil(ts);
}

/** `ts` minus `seconds`; a result outside the supported range is the earliest instant. */
export function minusSeconds(ts, seconds) {
  const result = ts.seconds - seconds;
  return Number.isSafeInteger(result) && inRange(result) ? new Timestamp(result, ts.nanos) : MIN_TIMESTAMP;
}

/** `ts` with its fraction of a second dropped (rounded down). */
export function floorSecond(ts) {
  return new Timestamp(ts.seconds, 0);
}

/** Compares two timestamps in any form `parseUtc` takes: -1, 0 or 1. */
export function compare(a, b) {
  const x = parseUtc(a);
  const y = parseUtc(b);
  if (x.seconds !== y.seconds) return x.seconds < y.seconds ? -1 : 1;
  if (x.nanos !== y.nanos) return x.nanos < y.nanos ? -1 : 1;
  return 0;
}

/**
 * Whole seconds since the Unix epoch of a timestamp in any form `parseUtc` takes (a fraction
 * is cut towards zero, as the Rust SDK does).
 */
export function epochSeconds(input) {
  const ts = parseUtc(input);
  return ts.seconds < 0 && ts.nanos > 0 ? ts.seconds + 1 : ts.seconds;
}

/** The canonical string of whole seconds since the Unix epoch (a number or a BigInt). */
export function fromEpochSeconds(seconds) {
  const value = typeof seconds === 'bigint' ? Number(seconds) : seconds;
  if (!Number.isSafeInteger(value)) throw new TimeError(seconds, 'not a whole number of seconds');
  if (!inRange(value)) throw new TimeError(seconds, 'out of the supported range');
  return formatUtc(new Timestamp(value, 0));
}
