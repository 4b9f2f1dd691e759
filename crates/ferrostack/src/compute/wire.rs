//! Forgiving decoders for the forms Nova writes the same value in, across releases.

use serde::{Deserialize, Deserializer, Serializer};

use crate::auth::parse_keystone_time;

/// `2013-09-03T04:01:32Z`, `2017-02-14T19:23:59.895661` (no offset: UTC), or null.
pub(crate) fn timestamp_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<jiff::Timestamp>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => parse_keystone_time(&text)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("not a timestamp: {text:?}"))),
    }
}

/// Writes a timestamp back in Nova's own form, `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn timestamp_opt_out<S: Serializer>(
    value: &Option<jiff::Timestamp>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(ts) => s.serialize_str(&ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        None => s.serialize_none(),
    }
}

/// A count that older Novas write as `""` when it is zero (a flavor's `swap`), or null.
pub(crate) fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        Number(u64),
        Text(String),
        Null(()),
    }
    match Form::deserialize(d)? {
        Form::Number(n) => Ok(n),
        Form::Null(()) => Ok(0),
        Form::Text(text) if text.trim().is_empty() => Ok(0),
        Form::Text(text) => text
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("not a count: {text:?}"))),
    }
}

/// A map that may be null.
pub(crate) fn map_or_null<'de, D, V>(
    d: D,
) -> Result<std::collections::BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    Ok(Option::deserialize(d)?.unwrap_or_default())
}

/// A list that may be null.
pub(crate) fn list_or_null<'de, D, V>(d: D) -> Result<Vec<V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    Ok(Option::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "timestamp_opt")]
        at: Option<jiff::Timestamp>,
        #[serde(default, deserialize_with = "count")]
        swap: u64,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn timestamps_in_every_form() {
        let z = probe(r#"{"at": "2013-09-03T04:01:32Z"}"#).at.unwrap();
        assert_eq!(z.to_string(), "2013-09-03T04:01:32Z");
        let naive = probe(r#"{"at": "2017-02-14T19:23:59.895661"}"#).at.unwrap();
        assert_eq!(naive.to_string(), "2017-02-14T19:23:59.895661Z");
        assert!(probe(r#"{"at": null}"#).at.is_none());
        assert!(probe("{}").at.is_none());
        assert!(serde_json::from_str::<Probe>(r#"{"at": "yesterday"}"#).is_err());
    }

    #[test]
    fn counts_in_every_form() {
        assert_eq!(probe(r#"{"swap": 512}"#).swap, 512);
        assert_eq!(probe(r#"{"swap": ""}"#).swap, 0);
        assert_eq!(probe(r#"{"swap": null}"#).swap, 0);
        assert_eq!(probe(r#"{"swap": "1024"}"#).swap, 1024);
        assert!(serde_json::from_str::<Probe>(r#"{"swap": "lots"}"#).is_err());
    }
}
