//! Tryton's JSON encoding of the values plain JSON lacks: `Decimal`, `datetime` and `date`
//! travel as objects tagged with `__class__`, e.g. `{"__class__": "Decimal", "decimal": "1.50"}`
//! and `{"__class__": "datetime", "year": 2026, ..., "microsecond": 5}`. This module turns
//! them into the contract's decimal strings and RFC 3339 timestamps and back.
//!
//! Tryton keeps datetimes as naive UTC; [`TrytonDateTime`] keeps the microseconds, because
//! the paging keys compare them exactly (see [`crate::keyset`]).

use std::fmt;

use serde_json::{Value, json};

/// A Tryton `datetime` (naive, UTC), ordered as time orders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrytonDateTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub microsecond: u32,
}

/// A value that is not what Tryton's encoding promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError(pub String);

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TrytonDateTime {
    /// Reads `{"__class__": "datetime", ...}`.
    pub fn from_json(value: &Value) -> Result<Self, CodecError> {
        if value.get("__class__").and_then(Value::as_str) != Some("datetime") {
            return Err(CodecError(format!(
                "expected a Tryton datetime, got {value}"
            )));
        }
        let part = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_i64)
                .ok_or_else(|| CodecError(format!("datetime without a numeric `{name}`: {value}")))
        };
        let small = |name: &str, max: i64| {
            let n = part(name)?;
            if (0..=max).contains(&n) {
                Ok(n as u8)
            } else {
                Err(CodecError(format!("datetime `{name}` out of range: {n}")))
            }
        };
        let microsecond = part("microsecond").unwrap_or(0);
        if !(0..1_000_000).contains(&microsecond) {
            return Err(CodecError(format!(
                "datetime `microsecond` out of range: {microsecond}"
            )));
        }
        let year = part("year")?;
        Ok(Self {
            year: i32::try_from(year).map_err(|_| CodecError(format!("year {year}")))?,
            month: small("month", 12)?,
            day: small("day", 31)?,
            hour: small("hour", 23)?,
            minute: small("minute", 59)?,
            second: small("second", 60)?,
            microsecond: microsecond as u32,
        })
    }

    /// Reads an optional datetime field: JSON `null` (or a missing field) is `None`.
    pub fn from_json_opt(value: Option<&Value>) -> Result<Option<Self>, CodecError> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(v) => Self::from_json(v).map(Some),
        }
    }

    /// The Tryton encoding, for domains.
    pub fn to_json(self) -> Value {
        json!({
            "__class__": "datetime",
            "year": self.year, "month": self.month, "day": self.day,
            "hour": self.hour, "minute": self.minute, "second": self.second,
            "microsecond": self.microsecond,
        })
    }

    /// RFC 3339 UTC, whole seconds (the contract's timestamp form).
    pub fn to_rfc3339(self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// A compact exact form for cursors: `YYYYMMDDHHMMSSffffff`.
    pub fn to_key(self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}{:06}",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.microsecond
        )
    }

    /// Reads [`Self::to_key`]'s form back.
    pub fn from_key(key: &str) -> Result<Self, CodecError> {
        let bad = || CodecError(format!("not a cursor timestamp: {key:?}"));
        if key.len() != 20 || !key.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let num = |from: usize, to: usize| key[from..to].parse::<u32>().map_err(|_| bad());
        let small = |from: usize, to: usize| num(from, to).map(|n| n as u8);
        Ok(Self {
            year: num(0, 4)? as i32,
            month: small(4, 6)?,
            day: small(6, 8)?,
            hour: small(8, 10)?,
            minute: small(10, 12)?,
            second: small(12, 14)?,
            microsecond: num(14, 20)?,
        })
    }

    /// Reads a contract timestamp (RFC 3339, any offset) as Tryton's naive UTC.
    pub fn from_rfc3339(input: &str) -> Result<Self, CodecError> {
        let ts = junction_sdk::time::parse_utc(input)
            .map_err(|e| CodecError(format!("{}: {}", e.input, e.reason)))?;
        let civil = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        Ok(Self {
            year: i32::from(civil.year()),
            month: civil.month() as u8,
            day: civil.day() as u8,
            hour: civil.hour() as u8,
            minute: civil.minute() as u8,
            second: civil.second() as u8,
            microsecond: (civil.subsec_nanosecond() / 1000) as u32,
        })
    }
}

/// Reads a Tryton date (`{"__class__": "date", ...}`) as `YYYY-MM-DD`.
pub fn date_from_json(value: &Value) -> Result<String, CodecError> {
    if value.get("__class__").and_then(Value::as_str) != Some("date") {
        return Err(CodecError(format!("expected a Tryton date, got {value}")));
    }
    let part = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_i64)
            .ok_or_else(|| CodecError(format!("date without a numeric `{name}`: {value}")))
    };
    Ok(format!(
        "{:04}-{:02}-{:02}",
        part("year")?,
        part("month")?,
        part("day")?
    ))
}

/// Reads a Tryton number: a `Decimal` object, or a plain JSON number (floats such as
/// quantities), as a normalised decimal string. `null` is `None`.
pub fn decimal_from_json(value: Option<&Value>) -> Result<Option<String>, CodecError> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(map))
            if map.get("__class__").and_then(Value::as_str) == Some("Decimal") =>
        {
            match map.get("decimal") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    return Err(CodecError(format!(
                        "Decimal without a `decimal`: {value:?}"
                    )));
                }
            }
        }
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => return Err(CodecError(format!("expected a number, got {other}"))),
    };
    junction_sdk::decimal::normalize(&text)
        .map(Some)
        .map_err(|e| CodecError(format!("not a decimal: {e:?}")))
}

/// The Tryton encoding of a decimal string, for writes.
pub fn decimal_to_json(decimal: &str) -> Value {
    json!({"__class__": "Decimal", "decimal": decimal})
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sample() -> Value {
        json!({"__class__": "datetime", "year": 2026, "month": 11, "day": 23,
               "hour": 20, "minute": 9, "second": 3, "microsecond": 940637})
    }

    #[test]
    fn datetime_round_trips_through_json_and_keys() {
        let dt = TrytonDateTime::from_json(&sample()).unwrap();
        assert_eq!(dt.to_rfc3339(), "2026-11-23T20:09:03Z");
        assert_eq!(dt.to_json(), sample());
        assert_eq!(dt.to_key(), "20261123200903940637");
        assert_eq!(TrytonDateTime::from_key(&dt.to_key()).unwrap(), dt);
    }

    #[test]
    fn datetimes_order_by_time_including_microseconds() {
        let a = TrytonDateTime::from_json(&sample()).unwrap();
        let mut b = a;
        b.microsecond += 1;
        let mut c = a;
        c.year -= 1;
        c.microsecond = 999_999;
        assert!(a < b);
        assert!(c < a);
    }

    #[test]
    fn contract_timestamps_become_naive_utc() {
        let dt = TrytonDateTime::from_rfc3339("2026-11-23T21:09:03+01:00").unwrap();
        assert_eq!(dt.to_rfc3339(), "2026-11-23T20:09:03Z");
        assert_eq!(dt.microsecond, 0);
        assert!(TrytonDateTime::from_rfc3339("yesterday").is_err());
    }

    #[test]
    fn malformed_datetimes_and_keys_are_refused() {
        assert!(TrytonDateTime::from_json(&json!({"__class__": "date", "year": 1})).is_err());
        assert!(
            TrytonDateTime::from_json(&json!({"__class__": "datetime", "year": 2026})).is_err()
        );
        let mut bad = sample();
        bad["month"] = json!(13);
        assert!(TrytonDateTime::from_json(&bad).is_err());
        assert!(TrytonDateTime::from_key("2026").is_err());
        assert!(TrytonDateTime::from_key("2026112320090394063x").is_err());
        assert_eq!(
            TrytonDateTime::from_json_opt(Some(&Value::Null)).unwrap(),
            None
        );
    }

    #[test]
    fn decimals_and_dates_decode() {
        let d = json!({"__class__": "Decimal", "decimal": "125.00"});
        assert_eq!(
            decimal_from_json(Some(&d)).unwrap().as_deref(),
            Some("125.00")
        );
        assert_eq!(
            decimal_from_json(Some(&json!(2.0))).unwrap().as_deref(),
            Some("2.0")
        );
        assert_eq!(decimal_from_json(Some(&Value::Null)).unwrap(), None);
        assert!(decimal_from_json(Some(&json!("abc"))).is_err());
        assert_eq!(decimal_to_json("19.90")["decimal"], "19.90");
        let date = json!({"__class__": "date", "year": 2026, "month": 1, "day": 9});
        assert_eq!(date_from_json(&date).unwrap(), "2026-01-09");
    }
}
