//! Prices as whole cents: Lightspeed serves prices as JSON numbers (`12.4`, `15.004`) and
//! takes numbers or numeric strings; the emulator keeps cents so sums and tax are exact.

use serde_json::Value;

/// An amount in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cents(pub i64);

impl Cents {
    /// The amount plus `percent` tax, rounded half up to the cent.
    pub fn with_tax(self, percent: i64) -> Self {
        Self((self.0 * (100 + percent) + 50).div_euclid(100))
    }

    /// The amount without `percent` tax, from a tax-inclusive amount (rounded half up).
    pub fn without_tax(self, percent: i64) -> Self {
        let divisor = 100 + percent;
        Self((self.0 * 100 * 2 + divisor).div_euclid(divisor * 2))
    }

    /// As Lightspeed serves it: a JSON number.
    pub fn to_json(self) -> Value {
        serde_json::Number::from_f64(self.0 as f64 / 100.0).map_or(Value::Null, Value::Number)
    }

    /// A JSON number or numeric string with at most two decimals; `None` otherwise.
    pub fn from_json(value: &Value) -> Option<Self> {
        let text = match value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.trim().to_owned(),
            _ => return None,
        };
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let frac = frac.trim_end_matches('0');
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let cents = int.parse::<i64>().ok()?.checked_mul(100)?
            + format!("{frac:0<2}").parse::<i64>().ok()?;
        Some(Self(if negative { -cents } else { cents }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_taxes_and_serves_prices() {
        assert_eq!(Cents::from_json(&json!(12.4)), Some(Cents(1240)));
        assert_eq!(Cents::from_json(&json!("7.05")), Some(Cents(705)));
        assert_eq!(Cents::from_json(&json!(3)), Some(Cents(300)));
        assert_eq!(Cents::from_json(&json!("1.005")), None);
        assert_eq!(Cents::from_json(&json!("12,40")), None);
        assert_eq!(Cents::from_json(&json!(true)), None);
        assert_eq!(Cents(1000).with_tax(21), Cents(1210));
        assert_eq!(Cents(1210).without_tax(21), Cents(1000));
        assert_eq!(
            Cents(999).with_tax(21),
            Cents(1209),
            "12.0879 rounds to 12.09"
        );
        assert_eq!(Cents(1240).to_json(), json!(12.4));
    }
}
