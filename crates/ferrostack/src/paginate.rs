//! Lists as streams that follow the service's own `next` links (Nova's `servers_links`,
//! `flavors_links`, `keypairs_links`; Neutron's `networks_links`, `ports_links`, ...), never
//! computed markers, and stop on a link already followed.

use std::collections::HashSet;

use futures::{Stream, TryStreamExt, stream};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::request::{Request, ServiceType};
use crate::session::Session;

/// A link in a Nova or Neutron document (`self`, `bookmark`, `next`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Link {
    /// The target.
    pub href: String,
    /// What the target is to this document.
    pub rel: String,
    /// The media type, when the service says.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// Every item of a paginated list, page after page: `first` is sent, the `items` array of
/// each page is decoded as `T`, and the `rel=next` link in `links` gives the next request.
pub(crate) fn paginate<T>(
    session: Session,
    first: Request,
    items: &'static str,
    links: &'static str,
) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: DeserializeOwned + Send + 'static,
{
    struct State {
        session: Session,
        next: Option<Request>,
        seen: HashSet<String>,
    }
    let state = State {
        session,
        next: Some(first),
        seen: HashSet::new(),
    };
    stream::try_unfold(state, move |mut state| async move {
        let Some(request) = state.next.take() else {
            return Ok::<_, Error>(None);
        };
        let response = state.session.send(request.clone()).await?;
        let request_id = response.request_id().map(str::to_owned);
        let mut page: serde_json::Value = response.json().await?;
        let decoded: Vec<T> = decode_items(&mut page, items, &request.service)
            .map_err(|e| e.with_request_id(request_id.clone()))?;
        let next_href = next_link(&page, links);
        state.next = match next_href {
            // Nova and Neutron only link onwards from a full page; an empty one ends the list.
            Some(_) if decoded.is_empty() => None,
            Some(href) if !state.seen.insert(href.clone()) => {
                tracing::warn!(link = %href, "{links} repeats a link already followed; stopping");
                None
            }
            Some(href) => {
                Some(follow(&request, &href).map_err(|e| e.with_request_id(request_id.clone()))?)
            }
            None => None,
        };
        Ok(Some((decoded, state)))
    })
    .map_ok(|page| stream::iter(page.into_iter().map(Ok)))
    .try_flatten()
}

/// Decodes `page[items]`, naming the JSON path on failure (`servers[3].status`).
fn decode_items<T: DeserializeOwned>(
    page: &mut serde_json::Value,
    items: &str,
    service: &ServiceType,
) -> Result<Vec<T>> {
    let list = page
        .get_mut(items)
        .map(serde_json::Value::take)
        .ok_or_else(|| {
            Error::decode(format!("the page has no {items:?} list"), items)
                .with_service(service.clone())
        })?;
    serde_path_to_error::deserialize(list).map_err(|e| {
        Error::decode(
            e.inner().to_string(),
            format!("{items}{}", index_path(&e.path().to_string())),
        )
        .with_service(service.clone())
    })
}

/// `[3].status` stays as it is; `.` (the root) becomes nothing.
fn index_path(path: &str) -> String {
    if path == "." {
        String::new()
    } else if path.starts_with('[') {
        path.to_owned()
    } else {
        format!(".{path}")
    }
}

/// The `href` of the `rel=next` link, if any: in a list of links (Nova, Neutron) or as
/// Keystone writes it, an object whose `next` is a URL or null.
fn next_link(page: &serde_json::Value, links: &str) -> Option<String> {
    let value = page.get(links)?;
    if let Some(object) = value.as_object() {
        return object.get("next")?.as_str().map(str::to_owned);
    }
    let links: Vec<Link> = serde_json::from_value(value.clone()).ok()?;
    links.into_iter().find(|l| l.rel == "next").map(|l| l.href)
}

/// The request for a `next` link: the same request (service, microversion, headers) with
/// the link's query. The link's host and prefix are the service's view of itself, which behind a
/// proxy or with a project id in the URL need not match ours; only the part from the
/// request's own path onwards is taken.
pub(crate) fn follow(current: &Request, href: &str) -> Result<Request> {
    let base = url::Url::parse("http://service.invalid/").expect("a valid base");
    let link = base.join(href).map_err(|e| {
        Error::decode(
            format!("the next link {href:?} is not a URL ({e})"),
            "links",
        )
        .with_service(current.service.clone())
    })?;
    if !link.path().ends_with(current.path.as_str()) {
        return Err(Error::decode(
            format!(
                "the next link {href:?} does not point at {} like the page it came from",
                current.path
            ),
            "links",
        )
        .with_service(current.service.clone()));
    }
    let mut next = current.clone();
    next.query = link
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_next_link_keeps_the_request_and_takes_the_query() {
        let first = Request::get(ServiceType::Compute, "/servers/detail")
            .query("name", "web")
            .microversion("2.96");
        let next = follow(
            &first,
            "http://openstack.example.com/v2.1/6f70656e737461636b20342065766572/servers/detail?limit=1&marker=f5dc173b&name=web",
        )
        .unwrap();
        assert_eq!(next.path, "/servers/detail");
        assert_eq!(next.microversion.as_deref(), Some("2.96"));
        assert_eq!(
            next.query,
            vec![
                ("limit".to_owned(), "1".to_owned()),
                ("marker".to_owned(), "f5dc173b".to_owned()),
                ("name".to_owned(), "web".to_owned()),
            ]
        );
        let relative = follow(&first, "/compute/v2.1/servers/detail?marker=x").unwrap();
        assert_eq!(relative.query, vec![("marker".to_owned(), "x".to_owned())]);
    }

    #[test]
    fn keystone_links_are_an_object_whose_next_may_be_null() {
        let page = serde_json::json!({"links": {"self": "http://k/v3/users", "next": "http://k/v3/users?marker=u1", "previous": null}});
        assert_eq!(
            next_link(&page, "links").as_deref(),
            Some("http://k/v3/users?marker=u1")
        );
        let last = serde_json::json!({"links": {"self": "http://k/v3/users", "next": null}});
        assert_eq!(next_link(&last, "links"), None);
    }

    #[test]
    fn a_next_link_elsewhere_is_refused() {
        let first = Request::get(ServiceType::Compute, "/servers/detail");
        let err = follow(&first, "http://evil.example/v2.1/flavors/detail?marker=1").unwrap_err();
        assert!(
            err.message().contains("does not point at /servers/detail"),
            "{err}"
        );
    }

    #[test]
    fn decode_errors_name_the_item() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Item {
            id: u32,
        }
        let mut page = serde_json::json!({"servers": [{"id": 1}, {"id": "x"}]});
        let nova = ServiceType::Compute;
        let err = decode_items::<Item>(&mut page, "servers", &nova).unwrap_err();
        assert_eq!(err.json_path(), Some("servers[1].id"));
        let mut page = serde_json::json!({"flavors": []});
        let err = decode_items::<Item>(&mut page, "servers", &nova).unwrap_err();
        assert!(err.message().contains("no \"servers\" list"), "{err}");
    }
}
