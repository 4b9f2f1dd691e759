//! What is sent again and what is not: only what cannot have taken effect (a refused
//! connection, a 429, a 503 with `Retry-After`), and reads after a gateway error; a DELETE
//! sent again that finds nothing is done.

mod session_support;

use ferrostack::ErrorKind;
use ferrostack::request::{Request, ServiceType};
use serde_json::json;
use session_support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const IMAGE: &str = "/image/v2/images/6d6a3b7c-1f0e-4f63-9a5e-2b1de3b0b6a1";

/// `answers` for `verb` at `at`, one each, in turn; the last one for good.
async fn answer_in_turn(cloud: &Cloud, verb: &str, at: &str, answers: Vec<ResponseTemplate>) {
    let last = answers.len() - 1;
    for (i, answer) in answers.into_iter().enumerate() {
        let mock = Mock::given(method(verb))
            .and(path(at))
            .respond_with(answer)
            .with_priority(i as u8 + 1);
        let mock = if i < last {
            mock.up_to_n_times(1)
        } else {
            mock
        };
        mock.mount(&cloud.server).await;
    }
}

fn delete_image() -> Request {
    Request::delete(ServiceType::Image, &IMAGE["/image/v2".len()..])
}

#[tokio::test]
async fn a_delete_answered_by_a_gateway_error_is_not_sent_again() {
    for status in [502, 503, 504] {
        let cloud = Cloud::start().await;
        answer_in_turn(&cloud, "DELETE", IMAGE, vec![ResponseTemplate::new(status)]).await;
        let session = cloud.session(cloud.config());
        let err = session.send(delete_image()).await.unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert_eq!(
            cloud.received_at("DELETE", IMAGE).await.len(),
            1,
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_put_answered_by_a_gateway_error_is_not_sent_again() {
    let cloud = Cloud::start().await;
    let at = "/compute/v2.1/servers/s1";
    answer_in_turn(&cloud, "PUT", at, vec![ResponseTemplate::new(504)]).await;
    let session = cloud.session(cloud.config());
    let rename = Request::put(ServiceType::Compute, "/servers/s1")
        .json(json!({"server": {"name": "renamed"}}));
    let err = session.send(rename).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unavailable);
    assert_eq!(cloud.received_at("PUT", at).await.len(), 1);
}

#[tokio::test]
async fn a_delete_refused_with_retry_after_is_sent_again_and_a_404_then_is_done() {
    let cloud = Cloud::start().await;
    let refused = ResponseTemplate::new(503).insert_header("Retry-After", "0");
    answer_in_turn(
        &cloud,
        "DELETE",
        IMAGE,
        vec![refused, ResponseTemplate::new(404)],
    )
    .await;
    let session = cloud.session(cloud.config());
    let cloud_api = ferrostack::Cloud::from_session(session);
    cloud_api
        .image()
        .images()
        .delete("6d6a3b7c-1f0e-4f63-9a5e-2b1de3b0b6a1")
        .await
        .expect("the first DELETE took effect: done");
    assert_eq!(cloud.received_at("DELETE", IMAGE).await.len(), 2);
}

#[tokio::test]
async fn a_404_to_a_delete_sent_once_is_not_found() {
    let cloud = Cloud::start().await;
    answer_in_turn(&cloud, "DELETE", IMAGE, vec![ResponseTemplate::new(404)]).await;
    let session = cloud.session(cloud.config());
    let err = session.send(delete_image()).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound);
    assert_eq!(cloud.received_at("DELETE", IMAGE).await.len(), 1);
}

#[tokio::test]
async fn a_post_refused_with_429_is_sent_again() {
    let cloud = Cloud::start().await;
    let at = "/compute/v2.1/servers";
    let refused = ResponseTemplate::new(429)
        .insert_header("Retry-After", "0")
        .set_body_json(json!({"overLimit": {"code": 429, "message": "slow down"}}));
    let accepted = ResponseTemplate::new(202).set_body_json(json!({"server": {"id": "s1"}}));
    answer_in_turn(&cloud, "POST", at, vec![refused, accepted]).await;
    let session = cloud.session(cloud.config());
    let create = Request::post(ServiceType::Compute, "/servers")
        .json(json!({"server": {"name": "vm", "imageRef": "i", "flavorRef": "1"}}));
    let response = session.send(create).await.unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(cloud.received_at("POST", at).await.len(), 2);
}

#[tokio::test]
async fn a_post_answered_503_without_retry_after_is_not_sent_again() {
    let cloud = Cloud::start().await;
    let at = "/compute/v2.1/servers";
    answer_in_turn(&cloud, "POST", at, vec![ResponseTemplate::new(503)]).await;
    let session = cloud.session(cloud.config());
    let create = Request::post(ServiceType::Compute, "/servers").json(json!({"server": {}}));
    session.send(create).await.unwrap_err();
    assert_eq!(cloud.received_at("POST", at).await.len(), 1);
}

#[tokio::test]
async fn a_get_keeps_its_bounded_retries_on_gateway_errors() {
    let cloud = Cloud::start().await;
    let at = "/image/v2/images";
    answer_in_turn(
        &cloud,
        "GET",
        at,
        vec![
            ResponseTemplate::new(502),
            ResponseTemplate::new(504),
            ResponseTemplate::new(503),
            ResponseTemplate::new(503),
        ],
    )
    .await;
    let session = cloud.session(cloud.config());
    let err = session
        .send(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        cloud.received_at("GET", at).await.len(),
        4,
        "four attempts, no more"
    );
}
