//! Decimal strings for money and quantities: the contract never carries floats.
//!
//! [`normalize`] validates a decimal given as text and returns it in a plain canonical form:
//! an optional `-`, digits, and an optional fraction (`"9.9"`, `"-3"`, `"0.50"`). Leading `+`
//! and superfluous leading zeros are dropped, `".5"` becomes `"0.5"`, `"5."` becomes `"5"`,
//! `-0` becomes `0`, and exponents (`"1e-3"`, as JSON numbers may be written) are expanded.
//! Trailing fraction zeros are kept: `"9.90"` stays `"9.90"`, so an amount keeps its scale.
//! Anything else (`"abc"`, `"1,5"`, `"NaN"`, `""`) is refused.
//!
//! [`from_json`] accepts a JSON number or string (APIs disagree about which to use);
//! [`sum`] adds decimal strings exactly.
//!
//! For arithmetic beyond sums (a line total, a discount, a tax, rounding to cents),
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

/// The exact sum of decimal strings, with the largest scale among them (`["1.5", "2.25"]`
/// gives `"3.75"`, `[]` gives `"0"`).
pub fn sum<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Result<String, DecimalError> {
    let mut total: i128 = 0;
    let mut scale: usize = 0;
    for v in values {
        let n = normalize(v.as_ref())?;
        let overflow = || DecimalError {
            input: v.as_ref().to_owned(),
        };
        let (negative, digits) = match n.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, n.as_str()),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if frac.len() > scale {
            total = total
                .checked_mul(pow10(frac.len() - scale).ok_or_else(overflow)?)
                .ok_or_else(overflow)?;
            scale = frac.len();
        }
        let padded = format!("{int}{frac}{}", "0".repeat(scale - frac.len()));
        let mut value: i128 = padded.parse().map_err(|_| overflow())?;
        if negative {
            value = -value;
        }
        total = total.checked_add(value).ok_or_else(overflow)?;
    }
    Ok(format_scaled(total, scale))
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
