//! Forgiving decoders for what Neutron writes: timestamps in either form, lists that may be
//! null, and the enums whose unknown values are kept.

use serde::{Deserialize, Deserializer, Serializer};

use crate::auth::parse_keystone_time;

/// `2016-03-08T20:19:41Z`, `2016-03-08T20:19:41` (no offset: UTC), or null.
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

/// Writes a timestamp back in Neutron's form, `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn timestamp_opt_out<S: Serializer>(
    value: &Option<jiff::Timestamp>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(ts) => s.serialize_str(&ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        None => s.serialize_none(),
    }
}

/// A list that may be null or missing.
pub(crate) fn list_or_null<'de, D, V>(d: D) -> Result<Vec<V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    Ok(Option::deserialize(d)?.unwrap_or_default())
}

/// A text that may be null: null reads as empty (Neutron writes `""` for "none" mostly, but
/// not always).
pub(crate) fn text_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// An enum of Neutron's words that keeps the words it does not know: `as_str`, `From<&str>`
/// (case-insensitive), `Display`, and serde as the word itself.
macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $word:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this SDK does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The value as Neutron writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $word,)+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                $(if text.eq_ignore_ascii_case($word) {
                    return $name::$variant;
                })+
                $name::Unknown(text.to_owned())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::from(<String as serde::Deserialize>::deserialize(d)?.as_str()))
            }
        }
    };
}

pub(crate) use word_enum;
