//! Money: Vendure keeps amounts as integers in minor units (hundredths by default, see
//! `money_decimals`); the contract carries decimal strings. Conversions are exact both ways.

use junction_sdk::types::ConnectorError;

/// An integer amount in minor units as a decimal string: `1999` with 2 decimals is `"19.99"`.
pub fn to_decimal(minor: i64, decimals: u32) -> String {
    if decimals == 0 {
        return minor.to_string();
    }
    let digits = minor.unsigned_abs().to_string();
    let width = decimals as usize + 1;
    let padded = format!("{digits:0>width$}");
    let (int, frac) = padded.split_at(padded.len() - decimals as usize);
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{int}.{frac}")
}

/// A decimal string as an integer amount in minor units. `field` names the value in errors
/// (`invalid-request`): not a decimal, more decimals than Vendure keeps, negative, too large.
pub fn to_minor(value: &str, decimals: u32, field: &str) -> Result<i64, ConnectorError> {
    let bad = |why: &str| ConnectorError::invalid_request(format!("{field} {value:?} {why}"));
    let normal =
        junction_sdk::decimal::normalize(value).map_err(|_| bad("is not a decimal number"))?;
    if normal.starts_with('-') {
        return Err(bad("must not be negative"));
    }
    let (int, frac) = normal.split_once('.').unwrap_or((&normal, ""));
    let frac = frac.trim_end_matches('0');
    if frac.len() > decimals as usize {
        return Err(bad(&format!(
            "has more than {decimals} decimals, which Vendure cannot store"
        )));
    }
    let scaled = format!("{int}{frac:0<width$}", width = decimals as usize);
    scaled.parse::<i64>().map_err(|_| bad("is too large"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_to_decimals() {
        assert_eq!(to_decimal(1999, 2), "19.99");
        assert_eq!(to_decimal(5, 2), "0.05");
        assert_eq!(to_decimal(0, 2), "0.00");
        assert_eq!(to_decimal(-250, 2), "-2.50");
        assert_eq!(to_decimal(1234, 0), "1234");
        assert_eq!(to_decimal(1, 3), "0.001");
    }

    #[test]
    fn decimals_to_minor_units() {
        assert_eq!(to_minor("19.99", 2, "price").unwrap(), 1999);
        assert_eq!(to_minor("19.9", 2, "price").unwrap(), 1990);
        assert_eq!(to_minor("19.900", 2, "price").unwrap(), 1990);
        assert_eq!(to_minor("7", 2, "price").unwrap(), 700);
        assert_eq!(to_minor("0.05", 2, "price").unwrap(), 5);
        assert_eq!(to_minor("12", 0, "price").unwrap(), 12);
        for (bad, why) in [
            ("19.999", "more than 2 decimals"),
            ("-1", "negative"),
            ("abc", "not a decimal"),
            ("99999999999999999999", "too large"),
        ] {
            let e = to_minor(bad, 2, "price").unwrap_err();
            assert!(
                matches!(&e, ConnectorError::InvalidRequest(m) if m.contains(why) && m.contains("price")),
                "{bad}: {e:?}"
            );
        }
    }
}
