//! How Nova learns about an image: from this cloud's Glance in process
//! ([`crate::glance::Glance::image_for_boot`], which applies Glance's visibility rules and
//! knows where the bytes are), or, when `Options::image_endpoint` names another Glance, over
//! that Glance's API with the caller's token, as real Nova does.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use percent_encoding::utf8_percent_encode;
use serde_json::Value;
use tokio::net::TcpStream;

use super::driver::BootImage;

/// Why an image cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImageLookupError {
    /// Glance does not show it to this caller.
    NotFound,
    /// Glance could not be asked, or answered something unexpected.
    Unavailable(String),
}

/// An image as Glance shows it to the caller, with its status.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GlanceImage {
    /// What the driver needs.
    pub(crate) boot: BootImage,
    /// Glance status (`active`, `queued`, ...).
    pub(crate) status: String,
    /// Minimum memory in MiB.
    pub(crate) min_ram: u64,
    /// Minimum disk in GiB.
    pub(crate) min_disk: u64,
}

impl From<crate::glance::BootImage> for GlanceImage {
    fn from(image: crate::glance::BootImage) -> Self {
        GlanceImage {
            boot: BootImage {
                id: image.id,
                name: image.name,
                disk_format: image.disk_format,
                container_format: image.container_format,
                size: image.size,
                data_path: image.data_path,
                properties: image.properties,
            },
            status: image.status,
            min_ram: image.min_ram,
            min_disk: image.min_disk,
        }
    }
}

/// Base fields of a Glance image; everything else that is a string is a property.
const BASE_FIELDS: &[&str] = &[
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "os_hidden",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "size",
    "virtual_size",
    "min_disk",
    "min_ram",
    "owner",
    "container_format",
    "disk_format",
    "tags",
    "created_at",
    "updated_at",
    "self",
    "file",
    "schema",
    "direct_url",
    "locations",
    "stores",
];

/// `GET {base}/image/v2/images/{id}` with `token`.
pub(crate) async fn fetch(
    addr: &str,
    token: &str,
    id: &str,
) -> Result<GlanceImage, ImageLookupError> {
    let unavailable = |e: &dyn std::fmt::Display| ImageLookupError::Unavailable(e.to_string());
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| unavailable(&e))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| unavailable(&e))?;
    tokio::spawn(connection);
    let path = format!(
        "/image/v2/images/{}",
        utf8_percent_encode(id, super::COMPONENT)
    );
    let request = Request::get(path)
        .header(header::HOST, addr)
        .header(header::ACCEPT, "application/json")
        .header("x-auth-token", token)
        .header("user-agent", "mock-cloud-nova")
        .body(Body::empty())
        .map_err(|e| unavailable(&e))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| unavailable(&e))?;
    let status = response.status();
    let body = axum::body::to_bytes(Body::new(response.into_body()), 1 << 20)
        .await
        .map_err(|e| unavailable(&e))?;
    match status {
        StatusCode::OK => {}
        StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => return Err(ImageLookupError::NotFound),
        other => {
            return Err(ImageLookupError::Unavailable(format!(
                "the image service answered {other}"
            )));
        }
    }
    let image: Value = serde_json::from_slice(&body).map_err(|e| unavailable(&e))?;
    Ok(parse(&image))
}

/// Reads the fields Nova cares about from a Glance image document.
pub(crate) fn parse(image: &Value) -> GlanceImage {
    let text = |k: &str| image.get(k).and_then(Value::as_str).map(str::to_owned);
    let number = |k: &str| image.get(k).and_then(Value::as_u64);
    let properties: BTreeMap<String, String> = image
        .as_object()
        .map(|map| {
            map.iter()
                .filter(|(k, _)| !BASE_FIELDS.contains(&k.as_str()))
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    GlanceImage {
        boot: BootImage {
            id: text("id").unwrap_or_default(),
            name: text("name"),
            disk_format: text("disk_format"),
            container_format: text("container_format"),
            size: number("size"),
            data_path: None,
            properties,
        },
        status: text("status").unwrap_or_default(),
        min_ram: number("min_ram").unwrap_or(0),
        min_disk: number("min_disk").unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn properties_are_the_extra_string_keys() {
        let image = parse(&json!({
            "id": "i", "name": "n", "status": "active", "size": 5, "min_ram": 64, "min_disk": 1,
            "disk_format": "ami", "kernel_id": "k", "ramdisk_id": "r", "tags": [], "checksum": "x"
        }));
        assert_eq!(image.status, "active");
        assert_eq!(image.min_ram, 64);
        assert_eq!(image.boot.properties.len(), 2);
        assert_eq!(image.boot.properties["kernel_id"], "k");
    }
}
