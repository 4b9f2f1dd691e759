//! The links a service hands out about itself (a version's `self` link) name it as it sees
//! itself. Behind a TLS-terminating proxy without `public_endpoint`, a common
//! misconfiguration, that is `http://` or an internal host: trusted, they would send the
//! token, and with an unversioned `auth_url` the password, in clear text or elsewhere.
//!
//! So only the path is taken from such a link; the scheme, host and port stay those of the
//! URL the session was given (the catalog's, or the configuration's), as keystoneauth does.
//! Nothing a service writes can move a request to another origin or downgrade it from
//! https. The `next` links of lists follow the same rule (`Session::link_path`, the image
//! and compute lists), and redirects to another origin are never followed (see
//! `transport` and `response`).

use url::Url;

use crate::secret::redact_url;

/// The URL of the version a discovery document fetched from `trusted` links to with `href`:
/// `trusted`'s scheme, host and port, and the path `href` names when it lies under
/// `trusted`'s path. Otherwise (another prefix: the service does not know the proxy's path)
/// `trusted`'s path with the link's last segment, the version (`/image` + `/v2/`).
/// `None` when `href` is not a URL.
pub(crate) fn version_url(trusted: &Url, href: &str) -> Option<Url> {
    // A relative link is relative to the document's own folder: `v2/` at `/image` is
    // `/image/v2/`, as keystoneauth reads it.
    let mut folder = trusted.clone();
    if !folder.path().ends_with('/') {
        folder.set_path(&format!("{}/", folder.path()));
    }
    let advertised = folder.join(href).ok()?;
    let ours = trusted.path().trim_end_matches('/');
    let theirs = advertised.path();
    let under = theirs.trim_end_matches('/') == ours || theirs.starts_with(&format!("{ours}/"));
    let path = if under {
        theirs.to_owned()
    } else {
        match theirs.split('/').rfind(|s| !s.is_empty()) {
            Some(version) if !ours.ends_with(&format!("/{version}")) => {
                format!("{ours}/{version}/")
            }
            _ => format!("{ours}/"),
        }
    };
    let mut url = trusted.clone();
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    if advertised.origin() != trusted.origin() || !under {
        tracing::debug!(
            advertised = %redact_url(advertised.as_str()), using = %redact_url(url.as_str()),
            "the service names itself elsewhere; keeping the scheme, host and port it was reached at"
        );
    }
    Some(url)
}

/// `url` without the user information (`http://user:PW@host/` -> `http://host/`): a
/// password written into `auth_url` is never sent (the session authenticates with the
/// `auth` section), so it cannot reach a request, a log line or an error either.
pub(crate) fn without_userinfo(mut url: Url, key: &str) -> Url {
    if !url.username().is_empty() || url.password().is_some() {
        tracing::warn!(
            "{key} carries a user name or password ({}): it is not sent; put credentials in \
             the auth section",
            redact_url(url.as_str())
        );
        url = stripped(&url);
    }
    url
}

/// `url` without its user information, silently: for showing a URL in a message.
pub(crate) fn stripped(url: &Url) -> Url {
    let mut url = url.clone();
    // Only URLs that cannot have user information (no host) refuse these.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(trusted: &str, href: &str) -> String {
        version_url(&Url::parse(trusted).unwrap(), href)
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_link_at_the_same_place_is_taken_as_it_is() {
        assert_eq!(
            version("http://k/identity", "http://k/identity/v3/"),
            "http://k/identity/v3/"
        );
        assert_eq!(
            version("http://g:9292", "http://g:9292/v2/"),
            "http://g:9292/v2/"
        );
        assert_eq!(version("http://g:9292/", "/v2/"), "http://g:9292/v2/");
        assert_eq!(version("http://k/identity", "v3/"), "http://k/identity/v3/");
    }

    #[test]
    fn scheme_host_and_port_are_never_taken_from_the_link() {
        // A TLS-terminating proxy: the service answers for http and its own host.
        assert_eq!(
            version("https://cloud.example/image", "http://10.0.0.5:9292/v2/"),
            "https://cloud.example/image/v2/"
        );
        assert_eq!(
            version(
                "https://cloud.example:13292",
                "http://cloud.example:13292/v2/"
            ),
            "https://cloud.example:13292/v2/"
        );
        assert_eq!(
            version(
                "https://k.example/identity",
                "http://evil.example/identity/v3/"
            ),
            "https://k.example/identity/v3/"
        );
        assert_eq!(
            version("https://k.example/identity", "//evil.example/v3/"),
            "https://k.example/identity/v3/"
        );
    }

    #[test]
    fn a_link_outside_the_path_keeps_ours_and_takes_the_version() {
        assert_eq!(
            version("https://cloud.example/image", "https://cloud.example/v2/"),
            "https://cloud.example/image/v2/"
        );
        assert_eq!(
            version(
                "https://cloud.example/identity/v3",
                "http://internal:5000/v3/"
            ),
            "https://cloud.example/identity/v3/"
        );
        assert_eq!(
            version("https://cloud.example/image", "http://internal/"),
            "https://cloud.example/image/"
        );
        assert!(version_url(&Url::parse("http://k").unwrap(), "http://[::1").is_none());
    }

    #[test]
    fn user_information_is_dropped() {
        let url = Url::parse("http://ada:hunter2@k.example:5000/v3").unwrap();
        assert_eq!(
            without_userinfo(url, "auth.auth_url").as_str(),
            "http://k.example:5000/v3"
        );
    }
}
