//! `GET /v2/images`: every server-side filter, sorting, page size, and the `next` link.

use std::collections::HashSet;

use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use jiff::Timestamp;
use url::Url;

use super::Images;
use super::model::{
    ContainerFormat, DiskFormat, Image, ImageId, ImagePage, ImageStatus, MemberStatus, Visibility,
};
use crate::error::{Error, Result};
use crate::request::{Request, ServiceType};
use crate::session::Session;

/// A sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDir {
    /// Ascending.
    Asc,
    /// Descending (Glance's default).
    Desc,
}

impl SortDir {
    fn as_str(self) -> &'static str {
        match self {
            SortDir::Asc => "asc",
            SortDir::Desc => "desc",
        }
    }
}

/// A comparison for `created_at` / `updated_at` filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Later than.
    Gt,
    /// Later than or equal.
    Gte,
    /// Equal.
    Eq,
    /// Not equal.
    Neq,
    /// Earlier than.
    Lt,
    /// Earlier than or equal.
    Lte,
}

impl Comparison {
    fn as_str(self) -> &'static str {
        match self {
            Comparison::Gt => "gt",
            Comparison::Gte => "gte",
            Comparison::Eq => "eq",
            Comparison::Neq => "neq",
            Comparison::Lt => "lt",
            Comparison::Lte => "lte",
        }
    }
}

/// Which images to list, in which order, how many per page: every filter runs on the
/// server. Nothing is sent before [`ListImages::stream`], [`ListImages::collect_all`] or
/// [`ListImages::first_page`].
///
/// ```no_run
/// # async fn demo(images: ferrostack::image::Images) -> ferrostack::Result<()> {
/// use futures::TryStreamExt;
/// use ferrostack::image::{DiskFormat, SortDir};
/// let mut golden = images
///     .list()
///     .disk_format(DiskFormat::Qcow2)
///     .tag("golden")
///     .sort_by("name", SortDir::Asc)
///     .limit(100)
///     .stream();
/// while let Some(image) = golden.try_next().await? {
///     println!("{}", image.id);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream(), .collect_all() or .first_page()"]
pub struct ListImages {
    images: Images,
    filters: Vec<(String, String)>,
    sort_keys: Vec<(String, Option<SortDir>)>,
    sort: Option<String>,
    limit: Option<u32>,
    marker: Option<ImageId>,
}

/// Glance's `in:` list syntax: values joined with commas, a value holding a comma quoted.
fn in_list<I: IntoIterator<Item = S>, S: AsRef<str>>(values: I) -> String {
    let joined: Vec<String> = values
        .into_iter()
        .map(|v| {
            let v = v.as_ref();
            if v.contains(',') || v.contains('"') {
                format!("\"{}\"", v.replace('"', "\\\""))
            } else {
                v.to_owned()
            }
        })
        .collect();
    format!("in:{}", joined.join(","))
}

impl ListImages {
    /// Every image the caller may see that Glance lists by default.
    pub(crate) fn new(images: Images) -> Self {
        Self {
            images,
            filters: Vec::new(),
            sort_keys: Vec::new(),
            sort: None,
            limit: None,
            marker: None,
        }
    }

    /// Every matching image, page by page as the stream is read, following the server's
    /// `next` links and stopping on a link already followed.
    pub fn stream(self) -> impl Stream<Item = Result<Image>> + Send + Unpin + 'static {
        struct State {
            session: Session,
            next: Option<Result<Request>>,
            followed: HashSet<String>,
        }
        let state = State {
            next: Some(self.request()),
            session: self.images.session,
            followed: HashSet::new(),
        };
        stream::try_unfold(state, |mut state| async move {
            let Some(request) = state.next.take() else {
                return Ok::<_, Error>(None);
            };
            let page: ImagePage = state.session.send_json(request?).await?;
            if let Some(link) = &page.next {
                if page.images.is_empty() {
                    // Glance adds `next` only to full pages; an empty one ends the listing.
                } else if state.followed.insert(link.clone()) {
                    let endpoint = state.session.endpoint(&ServiceType::Image).await?;
                    state.next = Some(next_request(&endpoint, link));
                } else {
                    tracing::warn!(next = %link, "Glance repeated a next link; stopping the listing");
                }
            }
            Ok(Some((stream::iter(page.images.into_iter().map(Ok)), state)))
        })
        .try_flatten()
        .boxed()
    }

    /// Every matching image, all pages collected.
    pub async fn collect_all(self) -> Result<Vec<Image>> {
        self.stream().try_collect().await
    }

    /// The first page only, with its `next` link (`openstack image list --limit N`).
    pub async fn first_page(self) -> Result<ImagePage> {
        let request = self.request()?;
        self.images.session.send_json(request).await
    }

    fn filter(mut self, key: &str, value: impl Into<String>) -> Self {
        self.filters.retain(|(k, _)| k != key);
        self.filters.push((key.to_owned(), value.into()));
        self
    }

    /// Exactly this name.
    pub fn name(self, name: impl Into<String>) -> Self {
        self.filter("name", name)
    }

    /// Any of these names (`name=in:a,b`).
    pub fn name_in<I: IntoIterator<Item = S>, S: AsRef<str>>(self, names: I) -> Self {
        self.filter("name", in_list(names))
    }

    /// Any of these ids (`id=in:a,b`).
    pub fn id_in<I: IntoIterator<Item = ImageId>>(self, ids: I) -> Self {
        self.filter("id", in_list(ids.into_iter().map(|id| id.to_string())))
    }

    /// This status.
    pub fn status(self, status: ImageStatus) -> Self {
        self.filter("status", status.as_str())
    }

    /// Any of these statuses.
    pub fn status_in<I: IntoIterator<Item = ImageStatus>>(self, statuses: I) -> Self {
        self.filter(
            "status",
            in_list(statuses.into_iter().map(|s| s.to_string())),
        )
    }

    /// This visibility.
    pub fn visibility(self, visibility: Visibility) -> Self {
        self.filter("visibility", visibility.as_str())
    }

    /// Every visibility the caller may see (`visibility=all`), community images included.
    pub fn all_visibilities(self) -> Self {
        self.filter("visibility", "all")
    }

    /// Owned by this project.
    pub fn owner(self, project_id: impl Into<String>) -> Self {
        self.filter("owner", project_id)
    }

    /// Shared images whose membership of the caller has this status.
    pub fn member_status(self, status: MemberStatus) -> Self {
        self.filter("member_status", status.as_str())
    }

    /// Shared images whatever the caller's membership status (`member_status=all`).
    pub fn all_member_statuses(self) -> Self {
        self.filter("member_status", "all")
    }

    /// Carrying this tag; repeat for images carrying all of them.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.filters.push(("tag".to_owned(), tag.into()));
        self
    }

    /// Hidden (`true`) or visible (`false`) images; Glance lists visible ones by default.
    pub fn os_hidden(self, hidden: bool) -> Self {
        self.filter("os_hidden", hidden.to_string())
    }

    /// Protected or not.
    pub fn protected(self, protected: bool) -> Self {
        self.filter("protected", protected.to_string())
    }

    /// At least this many bytes of data.
    pub fn size_min(self, bytes: u64) -> Self {
        self.filter("size_min", bytes.to_string())
    }

    /// At most this many bytes of data.
    pub fn size_max(self, bytes: u64) -> Self {
        self.filter("size_max", bytes.to_string())
    }

    /// This disk format.
    pub fn disk_format(self, format: DiskFormat) -> Self {
        self.filter("disk_format", format.as_str())
    }

    /// Any of these disk formats.
    pub fn disk_format_in<I: IntoIterator<Item = DiskFormat>>(self, formats: I) -> Self {
        self.filter(
            "disk_format",
            in_list(formats.into_iter().map(|f| f.to_string())),
        )
    }

    /// This container format.
    pub fn container_format(self, format: ContainerFormat) -> Self {
        self.filter("container_format", format.as_str())
    }

    /// Any of these container formats.
    pub fn container_format_in<I: IntoIterator<Item = ContainerFormat>>(self, formats: I) -> Self {
        self.filter(
            "container_format",
            in_list(formats.into_iter().map(|f| f.to_string())),
        )
    }

    /// Created `cmp` this time (`created_at=gt:2024-05-01T00:00:00Z`).
    pub fn created_at(self, cmp: Comparison, time: Timestamp) -> Self {
        self.filter(
            "created_at",
            format!("{}:{}", cmp.as_str(), glance_time(time)),
        )
    }

    /// Updated `cmp` this time.
    pub fn updated_at(self, cmp: Comparison, time: Timestamp) -> Self {
        self.filter(
            "updated_at",
            format!("{}:{}", cmp.as_str(), glance_time(time)),
        )
    }

    /// An extra property equal to this value (`os_distro=debian`).
    pub fn property(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.filter(&key, value)
    }

    /// Sort by `key` (`name`, `created_at`, `size`...) in `dir`; repeat for ties. Sent as
    /// `sort_key`/`sort_dir` pairs; cannot be combined with [`ListImages::sort`].
    pub fn sort_by(mut self, key: impl Into<String>, dir: SortDir) -> Self {
        self.sort_keys.push((key.into(), Some(dir)));
        self
    }

    /// Sort with Glance's combined syntax (`name:asc,created_at:desc`); cannot be combined
    /// with [`ListImages::sort_by`].
    pub fn sort(mut self, spec: impl Into<String>) -> Self {
        self.sort = Some(spec.into());
        self
    }

    /// Images per page (Glance's default 25, its maximum usually 1000).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Start after this image.
    pub fn marker(mut self, marker: impl Into<ImageId>) -> Self {
        self.marker = Some(marker.into());
        self
    }

    /// `GET /images` with these options; an error when both sort syntaxes are used (Glance
    /// answers that with a 400).
    pub fn request(&self) -> Result<Request> {
        if self.sort.is_some() && !self.sort_keys.is_empty() {
            return Err(Error::invalid_input(
                "image list: sort (sort=key:dir) and sort_by (sort_key/sort_dir) cannot be combined",
            ));
        }
        let mut request = Request::get(ServiceType::Image, "/images");
        for (key, value) in &self.filters {
            request = request.query(key, value);
        }
        for (key, _) in &self.sort_keys {
            request = request.query("sort_key", key);
        }
        for (_, dir) in &self.sort_keys {
            if let Some(dir) = dir {
                request = request.query("sort_dir", dir.as_str());
            }
        }
        request = request.query_opt("sort", self.sort.clone());
        request = request.query_opt("limit", self.limit.map(|l| l.to_string()));
        request = request.query_opt("marker", self.marker.as_ref().map(ToString::to_string));
        Ok(request)
    }
}

/// Glance's own timestamp form, seconds precision with `Z`.
fn glance_time(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The request for a `next` link, which Glance gives relative to its root
/// (`/v2/images?marker=...`), whatever path prefix the endpoint has (`/image/v2` on
/// devstack). An absolute link is accepted too. The query is kept as the server wrote it.
pub(crate) fn next_request(endpoint: &Url, next: &str) -> Result<Request> {
    let bad = || {
        Error::decode(
            format!("Glance sent a next link {next:?} that is not a URL"),
            "next",
        )
    };
    let url = endpoint.join(next).map_err(|_| bad())?;
    let path = url.path();
    let prefix = endpoint.path().trim_end_matches('/');
    let relative = match path.strip_prefix(prefix) {
        Some(rest) if !prefix.is_empty() && rest.starts_with('/') => rest,
        _ => strip_version(path).unwrap_or(path),
    };
    let mut request = Request::get(ServiceType::Image, relative);
    for (key, value) in url.query_pairs() {
        request = request.query(key, value);
    }
    Ok(request)
}

/// `/v2/images` -> `/images`; `/v2.17/images` too.
fn strip_version(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v")?;
    let end = rest.find('/')?;
    let version = &rest[..end];
    let numeric = !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.');
    numeric.then(|| &rest[end..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn path_and_query(r: &Request) -> String {
        let q: Vec<String> = r.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}?{}", r.path, q.join("&"))
    }

    #[test]
    fn next_links_resolve_against_every_endpoint_shape() {
        let link = "/v2/images?limit=2&marker=abc&name=in%3A%22a%2Cb%22";
        for endpoint in [
            "http://glance:9292/v2",
            "http://glance:9292/v2/",
            "http://h/image/v2",
            "http://h/image",
            "http://glance:9292/",
        ] {
            let r = next_request(&Url::parse(endpoint).unwrap(), link).unwrap();
            assert_eq!(
                path_and_query(&r),
                "/images?limit=2&marker=abc&name=in:\"a,b\"",
                "{endpoint}"
            );
        }
        let absolute = next_request(
            &Url::parse("http://h/image/v2").unwrap(),
            "http://h/image/v2/images?marker=z",
        )
        .unwrap();
        assert_eq!(path_and_query(&absolute), "/images?marker=z");
    }

    #[test]
    fn mixing_sort_syntaxes_is_refused() {
        let err = crate::image::ImageClient::new(crate::testing::offline_session())
            .images()
            .list()
            .sort("name:asc")
            .sort_by("size", SortDir::Desc)
            .request()
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::InvalidInput);
    }

    #[test]
    fn in_lists_quote_values_with_commas() {
        assert_eq!(in_list(["a", "b,c"]), "in:a,\"b,c\"");
    }
}
