//! Decimal strings for money and quantities: the contract never carries floats.
//!
//! [`normalize`] validates a decimal given as text and returns it in a plain canonical form:
//! an optional `-`, digits, and an optional fraction (`"9.9"`, `"-3"`, `"0.50"`). Leading `+`
//! and superfluous leading zeros are dropped, `".5"` becomes `"0.5"`, `"5."` becomes `"5"`,
//! `-0` becomes `0`, and exponents (`"1e-3"`, as JSON numbers may be written) are expanded.
//! Trailing fraction zeros are kept: `"9.90"` stays `"9.90"`, so an amount keeps its scale.
//! Anything else (`"abc"`, `"1,5"`, `"NaN"`, `""`) is refused.
//!
//! [`from_json`] accepts a JSON number or string (APIs disagree about which to use).
//! [`add`], [`subtract`], [`multiply`], [`compare`] and [`sum`] work on decimal strings
//! exactly (the same functions, with the same results, are in the JavaScript and Python
//! SDKs): a sum or difference has the larger scale of its operands, a product the sum of
//! both, and `add("0.1", "0.2")` is `"0.3"`.
//!
//! For division and rounding (a net price, a tax, rounding to cents), or a chain of steps,
//! [`parse`] gives a [`Decimal`] (the `rust_decimal` crate's exact base-10 type: 96-bit
//! mantissa, up to 28 fraction digits) and [`to_text`] turns one back into the contract's
//! string, keeping its scale:
//!
//! ```
//! use junction_sdk::decimal::{self, Decimal, RoundingStrategy};
//! let line = decimal::parse("19.99").unwrap() * Decimal::from(3);
//! assert_eq!(decimal::to_text(line), "59.97");
//! let net = decimal::parse("59.97").unwrap() / decimal::parse("1.21").unwrap();
//! let cents = net.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
//! assert_eq!(decimal::to_text(cents), "49.56");
//! ```

use std::cmp::Ordering;

pub use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

/// A value that is not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a decimal number: {input:?}")]
pub struct DecimalError {
    /// The text (or JSON) that was given.
    pub input: String,
}

/// The longest exponent [`normalize`] expands; larger ones are refused rather than producing
/// huge strings.
const MAX_EXPONENT: i64 = 64;

/// Validates and normalises a decimal string (see the module docs).
pub fn normalize(input: &str) -> Result<String, DecimalError> {
    let err = || DecimalError {
        input: input.to_owned(),
    };
    let s = input.trim();
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => {
            let exp: i64 = rest[at + 1..].parse().map_err(|_| err())?;
            if exp.abs() > MAX_EXPONENT {
                return Err(err());
            }
            (&rest[..at], exp)
        }
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return Err(err());
    }
    // Shift the decimal point by the exponent.
    let mut digits = format!("{int}{frac}");
    let mut point = i64::try_from(int.len()).map_err(|_| err())? + exponent;
    if point < 0 {
        let pad = usize::try_from(-point).map_err(|_| err())?;
        digits = format!("{}{digits}", "0".repeat(pad));
        point = 0;
    }
    let point = usize::try_from(point).map_err(|_| err())?;
    if point > digits.len() {
        digits.push_str(&"0".repeat(point - digits.len()));
    }
    let (int, frac) = digits.split_at(point);
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut out = String::with_capacity(int.len() + frac.len() + 2);
    let zero = int == "0" && frac.bytes().all(|b| b == b'0');
    if negative && !zero {
        out.push('-');
    }
    out.push_str(int);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Ok(out)
}

/// Whether a string is a decimal number [`normalize`] accepts.
pub fn is_decimal(input: &str) -> bool {
    normalize(input).is_ok()
}

/// Like [`normalize`], but an empty (or all-space) string is `Ok(None)`: many APIs send `""`
/// for "no value" (WooCommerce's `sale_price`, for one).
pub fn normalize_opt(input: &str) -> Result<Option<String>, DecimalError> {
    if input.trim().is_empty() {
        Ok(None)
    } else {
        normalize(input).map(Some)
    }
}

/// A decimal from a JSON value: a number (written as serde_json writes it, so `9.99` gives
/// `"9.99"`), or a string as [`normalize_opt`] reads it. `null` and `""` are `Ok(None)`;
/// booleans, arrays and objects are errors.
pub fn from_json(value: &Value) -> Result<Option<String>, DecimalError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => normalize(&n.to_string()).map(Some),
        Value::String(s) => normalize_opt(s),
        other => Err(DecimalError {
            input: other.to_string(),
        }),
    }
}

/// A decimal from an integer.
pub fn from_i64(n: i64) -> String {
    n.to_string()
}

/// A decimal string (anything [`normalize`] accepts) as a [`Decimal`] for arithmetic; its
/// scale is kept (`"9.90"` stays two places).
pub fn parse(input: &str) -> Result<Decimal, DecimalError> {
    let normal = normalize(input)?;
    Decimal::from_str_exact(&normal).map_err(|_| DecimalError {
        input: input.to_owned(),
    })
}

/// A [`Decimal`] as the contract's decimal string (plain digits, its scale kept, never an
/// exponent; `-0` is `0`).
pub fn to_text(value: Decimal) -> String {
    let text = value.to_string();
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => text,
    }
}

/// A decimal as an exact scaled integer, `units / 10^scale`, for the string arithmetic below
/// (up to 38 significant digits: `i128`).
#[derive(Debug, Clone, Copy)]
struct Scaled {
    units: i128,
    scale: usize,
}

impl Scaled {
    const ZERO: Self = Self { units: 0, scale: 0 };

    /// A decimal string (anything [`normalize`] accepts); too many digits is an error too.
    fn parse(input: &str) -> Result<Self, DecimalError> {
        let normal = normalize(input)?;
        let scale = normal.split_once('.').map_or(0, |(_, frac)| frac.len());
        let units = normal.replace('.', "").parse().map_err(|_| DecimalError {
            input: input.to_owned(),
        })?;
        Ok(Self { units, scale })
    }

    /// The units at a larger `scale`, when they fit.
    fn units_at(self, scale: usize) -> Option<i128> {
        self.units
            .checked_mul(pow10(scale.checked_sub(self.scale)?)?)
    }

    fn checked_add(self, other: Self) -> Option<Self> {
        let scale = self.scale.max(other.scale);
        let units = self.units_at(scale)?.checked_add(other.units_at(scale)?)?;
        Some(Self { units, scale })
    }

    fn checked_mul(self, other: Self) -> Option<Self> {
        Some(Self {
            units: self.units.checked_mul(other.units)?,
            scale: self.scale.checked_add(other.scale)?,
        })
    }

    fn negated(self) -> Option<Self> {
        Some(Self {
            units: self.units.checked_neg()?,
            scale: self.scale,
        })
    }

    fn text(self) -> String {
        format_scaled(self.units, self.scale)
    }
}

/// The error for a result with more digits than the arithmetic holds: the operation is
/// named, so the message says which values could not be combined.
fn too_large(a: &str, operator: &str, b: &str) -> DecimalError {
    DecimalError {
        input: format!("{a} {operator} {b}"),
    }
}

/// The exact sum `a + b`, with the larger scale of the two (`"1.5"` + `"2.25"` is `"3.75"`,
/// `"0.1"` + `"0.2"` is `"0.3"`). More than 38 significant digits is an error.
pub fn add(a: &str, b: &str) -> Result<String, DecimalError> {
    Scaled::parse(a)?
        .checked_add(Scaled::parse(b)?)
        .map(Scaled::text)
        .ok_or_else(|| too_large(a, "+", b))
}

/// The exact difference `a - b`, with the larger scale of the two (`"10.00"` - `"10.00"` is
/// `"0.00"`).
pub fn subtract(a: &str, b: &str) -> Result<String, DecimalError> {
    let minuend = Scaled::parse(a)?;
    let subtrahend = Scaled::parse(b)?;
    subtrahend
        .negated()
        .and_then(|negated| minuend.checked_add(negated))
        .map(Scaled::text)
        .ok_or_else(|| too_large(a, "-", b))
}

/// The exact product `a × b`; its scale is the sum of both (`"19.99"` × `"3"` is `"59.97"`,
/// `"1.10"` × `"2.0"` is `"2.200"`), as [`Decimal`] multiplies.
pub fn multiply(a: &str, b: &str) -> Result<String, DecimalError> {
    Scaled::parse(a)?
        .checked_mul(Scaled::parse(b)?)
        .map(Scaled::text)
        .ok_or_else(|| too_large(a, "*", b))
}

/// Compares two decimal strings by value (`"1.0"` equals `"1"`), exactly, at any size.
pub fn compare(a: &str, b: &str) -> Result<Ordering, DecimalError> {
    let (a, b) = (normalize(a)?, normalize(b)?);
    let (a_negative, a_digits) = split_sign(&a);
    let (b_negative, b_digits) = split_sign(&b);
    Ok(match (a_negative, b_negative) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, false) => compare_magnitudes(a_digits, b_digits),
        (true, true) => compare_magnitudes(b_digits, a_digits),
    })
}

/// A normalized decimal's sign and digits (normalized zero has no sign).
fn split_sign(normal: &str) -> (bool, &str) {
    match normal.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, normal),
    }
}

/// Compares unsigned normalized decimals: integer parts have no leading zeros, so the longer
/// is larger; then digit by digit, fractions padded with zeros.
fn compare_magnitudes(a: &str, b: &str) -> Ordering {
    let (a_int, a_frac) = a.split_once('.').unwrap_or((a, ""));
    let (b_int, b_frac) = b.split_once('.').unwrap_or((b, ""));
    let width = a_frac.len().max(b_frac.len());
    a_int
        .len()
        .cmp(&b_int.len())
        .then_with(|| a_int.cmp(b_int))
        .then_with(|| format!("{a_frac:0<width$}").cmp(&format!("{b_frac:0<width$}")))
}

/// The exact sum of decimal strings, with the largest scale among them (`["1.5", "2.25"]`
/// gives `"3.75"`, `[]` gives `"0"`).
pub fn sum<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Result<String, DecimalError> {
    let mut total = Scaled::ZERO;
    for value in values {
        let value = value.as_ref();
        total = total
            .checked_add(Scaled::parse(value)?)
            .ok_or_else(|| DecimalError {
                input: value.to_owned(),
            })?;
    }
    Ok(total.text())
}

fn pow10(n: usize) -> Option<i128> {
    10i128.checked_pow(u32::try_from(n).ok()?)
}

fn format_scaled(value: i128, scale: usize) -> String {
    let negative = value < 0;
    let digits = value.unsigned_abs().to_string();
    let digits = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits
    };
    let (int, frac) = digits.split_at(digits.len() - scale);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(int);
    if scale > 0 {
        out.push('.');
        out.push_str(frac);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_do_exact_arithmetic_and_keep_their_scale() {
        let d = |s: &str| parse(s).unwrap();
        assert_eq!(to_text(d("0.1") + d("0.2")), "0.3");
        assert_eq!(to_text(d("9.90")), "9.90");
        assert_eq!(to_text(d("19.99") * Decimal::from(3)), "59.97");
        assert_eq!(to_text(d("10.00") - d("10.00")), "0.00");
        assert_eq!(to_text(d("1.5e2")), "150");
        assert_eq!(to_text(-d("0.00")), "0.00");
        let half = d("2.345").round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
        assert_eq!(to_text(half), "2.34");
        let up = d("2.345").round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(to_text(up), "2.35");
        assert!(d("10.5") > d("9.99"));
        for bad in ["abc", "1,5", ""] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn normalizes() {
        let n = |s: &str| normalize(s).unwrap();
        assert_eq!(n("9.9"), "9.9");
        assert_eq!(n("9.90"), "9.90");
        assert_eq!(n(" 19.99 "), "19.99");
        assert_eq!(n("+3"), "3");
        assert_eq!(n("-3"), "-3");
        assert_eq!(n("007.50"), "7.50");
        assert_eq!(n(".5"), "0.5");
        assert_eq!(n("5."), "5");
        assert_eq!(n("-0.00"), "0.00");
        assert_eq!(n("1e3"), "1000");
        assert_eq!(n("1.5E-3"), "0.0015");
        assert_eq!(n("-2.5e1"), "-25");
        for bad in [
            "abc", "", " ", "1,5", "1.2.3", "NaN", "inf", "--1", "1e", "1e999", ".", "-", "0x10",
            "1 000",
        ] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
        assert!(is_decimal("0"));
        assert_eq!(normalize_opt("").unwrap(), None);
        assert_eq!(normalize_opt("12").unwrap().as_deref(), Some("12"));
    }

    #[test]
    fn from_json_values() {
        assert_eq!(from_json(&json!(9.99)).unwrap().as_deref(), Some("9.99"));
        assert_eq!(from_json(&json!(10)).unwrap().as_deref(), Some("10"));
        assert_eq!(from_json(&json!(10.0)).unwrap().as_deref(), Some("10.0"));
        assert_eq!(
            from_json(&json!(1e-7)).unwrap().as_deref(),
            Some("0.0000001")
        );
        assert_eq!(
            from_json(&json!("12.50")).unwrap().as_deref(),
            Some("12.50")
        );
        assert_eq!(from_json(&json!("")).unwrap(), None);
        assert_eq!(from_json(&json!(null)).unwrap(), None);
        assert!(from_json(&json!("abc")).is_err());
        assert!(from_json(&json!(true)).is_err());
    }

    #[test]
    fn string_arithmetic_is_exact_and_keeps_scales() {
        assert_eq!(add("0.1", "0.2").unwrap(), "0.3");
        assert_eq!(add("1.5", "2.25").unwrap(), "3.75");
        assert_eq!(add("-0.05", "0.01").unwrap(), "-0.04");
        assert_eq!(
            add("9999999999999999999999999999999999999", "1").unwrap(),
            "10000000000000000000000000000000000000"
        );
        assert_eq!(subtract("10.00", "10.00").unwrap(), "0.00");
        assert_eq!(subtract("10", "12.5").unwrap(), "-2.5");
        assert_eq!(subtract("0.3", "0.1").unwrap(), "0.2");
        assert_eq!(multiply("19.99", "3").unwrap(), "59.97");
        assert_eq!(multiply("1.10", "2.0").unwrap(), "2.200");
        assert_eq!(multiply("-0.5", "0.5").unwrap(), "-0.25");
        assert_eq!(multiply("-0.5", "0").unwrap(), "0.0");
        assert_eq!(multiply("1e2", "0.01").unwrap(), "1.00");
        assert_eq!(add("1", "x").unwrap_err().input, "x");
        assert!(multiply("1,5", "2").is_err());
        assert!(subtract("y", "2").is_err());
        // Beyond `i128`: an error naming the operation, never a wrong result.
        let big = i128::MAX.to_string();
        assert_eq!(add(&big, "1").unwrap_err().input, format!("{big} + 1"));
        assert_eq!(
            multiply(&big, "10").unwrap_err().input,
            format!("{big} * 10")
        );
        assert!(subtract(&format!("-{big}"), "2").is_err());
        assert!(add(&"1".repeat(40), "0").is_err());
    }

    #[test]
    fn compares_by_value_at_any_size() {
        assert_eq!(compare("10.5", "9.99").unwrap(), Ordering::Greater);
        assert_eq!(compare("1.0", "1").unwrap(), Ordering::Equal);
        assert_eq!(compare("-0.00", "0").unwrap(), Ordering::Equal);
        assert_eq!(compare("-2", "-1.5").unwrap(), Ordering::Less);
        assert_eq!(compare("-1.5", "-2").unwrap(), Ordering::Greater);
        assert_eq!(compare("-1", "0.5").unwrap(), Ordering::Less);
        assert_eq!(
            compare("0.1", "0.10000000000000000001").unwrap(),
            Ordering::Less
        );
        assert_eq!(compare("1e60", "1e-60").unwrap(), Ordering::Greater);
        assert_eq!(compare("100", "99.999").unwrap(), Ordering::Greater);
        assert!(compare("1", "").is_err());
    }

    #[test]
    fn sums_exactly() {
        assert_eq!(sum(["1.5", "2.25"]).unwrap(), "3.75");
        assert_eq!(sum(["0.1", "0.2"]).unwrap(), "0.3");
        assert_eq!(sum(["10", "-12.5"]).unwrap(), "-2.5");
        assert_eq!(sum(["-0.05", "0.01"]).unwrap(), "-0.04");
        assert_eq!(sum(Vec::<&str>::new()).unwrap(), "0");
        assert_eq!(sum(["1.00", "2"]).unwrap(), "3.00");
        assert!(sum(["1", "x"]).is_err());
    }
}
