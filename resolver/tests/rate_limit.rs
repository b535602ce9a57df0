//! The rate limit of the real daemon, from several loopback addresses (Linux
//! routes all of 127.0.0.0/8 to `lo`, so a client can bind 127.0.0.2 etc.):
//! keys by network prefix, forwarding headers believed only from trusted
//! proxies, 429 with `Retry-After` and a problem document.
//! (IPv6 /64 keys are unit tests in `src/rate.rs`: `lo` has only `::1`.)
//!
//! See: issue 18, point 4.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::net::IpAddr;

use common::{Daemon, is_problem};
use reqwest::StatusCode;
use serde_json::Value;

/// A client whose connections come from `from`.
fn client_from(from: &str) -> reqwest::Client {
    let from: IpAddr = from.parse().unwrap();
    reqwest::Client::builder()
        .local_address(from)
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn status(client: &reqwest::Client, d: &Daemon, forwarded_for: Option<&str>) -> StatusCode {
    let mut request = client.get(d.url("/health"));
    if let Some(xff) = forwarded_for {
        request = request.header("x-forwarded-for", xff);
    }
    request.send().await.unwrap().status()
}

/// One token per 1,000 s and a burst of 3: nothing refills during a test.
const SLOW: [&str; 4] = ["--rate-limit", "0.001", "--rate-limit-burst", "3"];

#[tokio::test(flavor = "multi_thread")]
async fn addresses_of_one_prefix_share_a_bucket_and_the_429_says_when_to_retry() {
    let d = Daemon::start("rate-prefix", &[&SLOW[..], &["--rate-limit-ipv4-prefix", "24"]].concat());
    let (a, b) = (client_from("127.0.0.2"), client_from("127.0.0.3"));
    for _ in 0..3 {
        assert_eq!(status(&a, &d, None).await, StatusCode::OK);
    }
    let r = b.get(d.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "127.0.0.3 is in 127.0.0.2's /24");
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=1000).contains(&retry), "Retry-After {retry}");
    assert!(is_problem(r.headers().get("content-type")));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], 429);
    assert_eq!(body["type"], "urn:didam:problem:rate-limited");
}

#[tokio::test(flavor = "multi_thread")]
async fn by_default_each_ipv4_address_is_its_own_client_and_forged_headers_change_nothing() {
    let d = Daemon::start("rate-forged", &SLOW);
    let (a, b) = (client_from("127.0.0.2"), client_from("127.0.0.3"));
    for i in 0..3 {
        let forged = format!("198.51.100.{i}");
        assert_eq!(status(&a, &d, Some(&forged)).await, StatusCode::OK);
    }
    for forged in ["203.0.113.1", "2001:db8::1", "127.0.0.3"] {
        assert_eq!(
            status(&a, &d, Some(forged)).await,
            StatusCode::TOO_MANY_REQUESTS,
            "a header from an untrusted peer does not change its key ({forged})"
        );
    }
    assert_eq!(status(&b, &d, None).await, StatusCode::OK, "another /32 has its own bucket");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trusted_proxy_names_the_client() {
    let d = Daemon::start("rate-proxy", &[&SLOW[..], &["--trusted-proxy", "127.0.0.2/32"]].concat());
    let (proxy, stranger) = (client_from("127.0.0.2"), client_from("127.0.0.4"));
    for _ in 0..3 {
        assert_eq!(status(&proxy, &d, Some("198.51.100.1")).await, StatusCode::OK);
    }
    assert_eq!(status(&proxy, &d, Some("198.51.100.1")).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        status(&proxy, &d, Some("198.51.100.2")).await,
        StatusCode::OK,
        "another client behind the proxy has its own bucket"
    );
    assert_eq!(
        status(&proxy, &d, Some("198.51.100.1, 127.0.0.2")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "trusted hops are skipped from the right"
    );
    for _ in 0..3 {
        assert_eq!(status(&stranger, &d, Some("198.51.100.3")).await, StatusCode::OK);
    }
    assert_eq!(
        status(&stranger, &d, Some("198.51.100.4")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "127.0.0.4 is no trusted proxy: its header is ignored"
    );
}
