//! A string that must never be printed: passwords, tokens, application-credential secrets.

use std::borrow::Cow;
use std::fmt;

/// What a secret prints and serializes as.
pub(crate) const PLACEHOLDER: &str = "<redacted>";

/// A secret value. `Debug` and `Display` print `<redacted>`; the value is only reachable
/// through [`Secret::expose`], so every place that reads it is easy to find.
///
/// Serializing writes `"<redacted>"`, never the value, so a secret that reaches a snapshot, a
/// log or `-f json` does not leak. Deserializing refuses that placeholder: a document saved
/// from such output and read back is an error, never a secret silently become `<redacted>`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Call this only where the value goes onto the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// Serializes as `<redacted>`: a secret that reaches a snapshot or a log through serde
/// still does not leak. Request bodies that must carry the value build their JSON by hand.
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(PLACEHOLDER)
    }
}

/// Reads the value as it is, except the placeholder [`Serialize`](serde::Serialize) writes:
/// that is an error saying so.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        check_not_placeholder(&value).map_err(serde::de::Error::custom)?;
        Ok(Self(value))
    }
}

/// `Err` with the reason when `value` is the placeholder a serialized secret is written as,
/// not a secret: something printed by this crate was read back in place of the real value.
pub(crate) fn check_not_placeholder(value: &str) -> Result<(), String> {
    if value == PLACEHOLDER {
        Err(format!(
            "{PLACEHOLDER:?} is the placeholder written in place of a secret, not the secret \
             itself (was this saved from printed output?): put the real value here"
        ))
    } else {
        Ok(())
    }
}

/// `text` with the user information of a URL in it (`http://user:PW@host/`) replaced by the
/// placeholder (`http://<redacted>@host/`): a password written into `auth_url` must not reach an
/// error or a log line. Works on text that does not parse as a URL too, since that is what a
/// configuration error prints.
pub(crate) fn redact_url(text: &str) -> Cow<'_, str> {
    let Some(scheme_end) = text.find("://") else {
        return Cow::Borrowed(text);
    };
    let authority_start = scheme_end + 3;
    let authority_len = text[authority_start..]
        .find(['/', '?', '#'])
        .unwrap_or(text.len() - authority_start);
    let authority = &text[authority_start..authority_start + authority_len];
    match authority.rfind('@') {
        Some(at) => Cow::Owned(format!(
            "{}{PLACEHOLDER}{}",
            &text[..authority_start],
            &text[authority_start + at..]
        )),
        None => Cow::Borrowed(text),
    }
}

/// Serializes an optional URL with [`redact_url`] applied (`#[serde(serialize_with)]`).
pub(crate) fn serialize_url<S: serde::Serializer>(
    url: &Option<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match url {
        Some(url) => serializer.serialize_some(&*redact_url(url)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(s.to_string(), "<redacted>");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"<redacted>\"");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn a_serialized_secret_does_not_come_back_as_the_placeholder() {
        let written = serde_json::to_string(&Secret::new("hunter2")).unwrap();
        let err = serde_json::from_str::<Secret>(&written).unwrap_err();
        assert!(err.to_string().contains("placeholder"), "{err}");
        let read: Secret = serde_json::from_str("\"hunter2\"").unwrap();
        assert_eq!(read.expose(), "hunter2");
    }

    #[test]
    fn user_information_in_urls_is_masked() {
        let cases = [
            (
                "http://ada:hunter2@k.example/v3",
                "http://<redacted>@k.example/v3",
            ),
            ("https://tok@k.example", "https://<redacted>@k.example"),
            (
                "http://a:b@c@k:5000/x?y=@z",
                "http://<redacted>@k:5000/x?y=@z",
            ),
            ("http://ada:pw@k:notaport/", "http://<redacted>@k:notaport/"),
            (
                "http://k.example/v3?user=a@b",
                "http://k.example/v3?user=a@b",
            ),
            ("not a url", "not a url"),
        ];
        for (text, shown) in cases {
            assert_eq!(redact_url(text), shown, "{text}");
        }
    }
}
