//! Times as people read and write them: RFC 3339 with the zone
//! (`2026-12-01T09:00:00+01:00`), printed in UTC (`2026-12-01T08:00:00Z`).
//! Inside, a time is whole seconds since the Unix epoch, as the auction
//! file's `open_unix` and `close_unix` have always been; those keys still
//! take a plain number too.

use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `unix` seconds as RFC 3339 in UTC, e.g. `2026-12-01T08:00:00Z`.
pub fn rfc3339(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("Unix time {unix}"))
}

/// Reads an RFC 3339 time with its zone (`Z` or `+hh:mm`) into Unix
/// seconds; says what is wrong otherwise.
pub fn parse_rfc3339(s: &str) -> Result<u64, String> {
    let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|e| {
        format!(
            "{s:?} is not an RFC 3339 time with its zone, such as 2026-12-01T09:00:00+01:00 ({e})"
        )
    })?;
    u64::try_from(t.unix_timestamp()).map_err(|_| format!("{s:?} is before 1970"))
}

/// A duration in words, to the minute: `2 h 05 min`, `40 s`.
pub fn span(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
        s => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// Deserializes a time given as Unix seconds or as an RFC 3339 string.
pub fn unix_or_rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Unix(u64),
        Text(String),
    }
    match Either::deserialize(d)? {
        Either::Unix(t) => Ok(t),
        Either::Text(s) => parse_rfc3339(&s).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_utc_and_reads_any_zone() {
        assert_eq!(rfc3339(1_796_008_735), "2026-11-30T03:18:55Z");
        assert_eq!(parse_rfc3339("2026-11-30T03:18:55Z"), Ok(1_796_008_735));
        assert_eq!(
            parse_rfc3339("2026-11-30T04:18:55+01:00"),
            Ok(1_796_008_735)
        );
        let e = parse_rfc3339("2026-11-30 04:18").unwrap_err();
        assert!(e.contains("not an RFC 3339 time with its zone"), "{e}");
        assert!(
            parse_rfc3339("2026-11-30T04:18:55").is_err(),
            "a zone is required"
        );
        assert_eq!(span(40), "40 s");
        assert_eq!(span(7500), "2 h 05 min");
    }
}
