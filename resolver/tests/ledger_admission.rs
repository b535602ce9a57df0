//! The ledger API's admission limits through the real daemon on a real
//! SQLite ledger: only well-formed did:didam entries, entry and document
//! sizes, log length and bytes per DID (refused with typed problems, nothing
//! stored), a per-client append rate (429 with `Retry-After`), reads capped
//! at the limits, and the clock-skew tolerance of `versionTime`.
//!
//! See: issue 18, point 3.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
mod entries;

use std::time::Duration;

use chrono::Utc;
use common::{Daemon, client, encode, is_problem, poll};
use didam_ledger::{HttpLedger, Ledger as _, LedgerError, LimitError};
use didam_method::entry;
use didam_method::log::{self, EntryDraft, Method};
use didam_registry::operations;
use entries::{first_entry, keys};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

async fn post(d: &Daemon, body: &Value) -> (StatusCode, Value) {
    let response = client().post(d.url("/ledger/v1/entries")).json(body).send().await.unwrap();
    let status = response.status();
    if status.is_client_error() {
        assert!(is_problem(response.headers().get("content-type")), "{status}");
    }
    (status, response.json().await.unwrap())
}

async fn ledger_size(d: &Daemon) -> u64 {
    let body: Value = client().get(d.url("/ledger/v1/size")).send().await.unwrap().json().await.unwrap();
    body["size"].as_u64().unwrap()
}

async fn log_status(d: &Daemon, did: &str) -> (StatusCode, Value) {
    let response = client().get(d.url(&format!("/ledger/v1/dids/{}/log", encode(did)))).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

/// Waits until every appended entry is in the tree.
async fn integrated(d: &Daemon, leaves: u64) {
    poll(Duration::from_secs(20), async || (ledger_size(d).await >= leaves).then_some(())).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_of_dids_that_are_not_well_formed_did_didam_dids_are_refused() {
    let d = Daemon::start("admission-dids", &[]);
    let k = keys(3);
    let valid = first_entry(&k, 0, Utc::now() - chrono::Duration::minutes(1)).await;
    let scid = valid.did().as_str().rsplit(':').next().unwrap().to_owned();
    for did in [
        "did:example:123".to_owned(),
        format!("did:web:example.com:{scid}"),
        format!("did:didam:evil:extra:{scid}"),
        format!("did:didam:{scid}:trailing"),
        format!("did:didam:Upper:{scid}"),
        "did:didam:QmTooShort".to_owned(),
        format!("did:didamx:{scid}"),
    ] {
        let mut forged = valid.json().clone();
        forged["state"]["id"] = json!(did);
        let (status, problem) = post(&d, &forged).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{did}: {problem}");
        assert_eq!(problem["type"], "urn:didam:ledger:bad-request", "{did}");
        assert_eq!(log_status(&d, &did).await.0, StatusCode::NOT_FOUND, "{did}: nothing stored");
    }
    // The entry builder refuses such a DID too: no one signs one by mistake.
    let mut parameters = Map::new();
    parameters.insert("updateKeys".into(), json!([k[0].public_key().to_multikey()]));
    parameters.insert("nextKeyHashes".into(), json!([log::key_hash(&k[1].public_key().to_multikey())]));
    let draft = EntryDraft {
        parameters,
        document: json!({ "id": "did:didam:evil:extra:{SCID}" }),
        version_time: Utc::now(),
    };
    assert!(log::create_entry(Method::Didam, draft, &k[0]).await.is_err());
    assert_eq!(ledger_size(&d).await, 0, "nothing was stored");
    // The well-formed entry is admitted.
    assert_eq!(post(&d, valid.json()).await.0, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread")]
async fn oversize_entries_and_documents_are_refused_with_413_and_not_stored() {
    let d = Daemon::start("admission-sizes", &[]);
    let k = keys(3);
    let time = Utc::now() - chrono::Duration::minutes(1);
    // The attack's 250 KB document, a 13 KB one (over the default 12 KiB),
    // and an entry over the default 32 KiB.
    for (pad, problem_type, limit) in [
        (250_000, "urn:didam:ledger:entry-too-large", 32 * 1024),
        (40_000, "urn:didam:ledger:entry-too-large", 32 * 1024),
        (13_000, "urn:didam:ledger:document-too-large", 12 * 1024),
    ] {
        let big = first_entry(&k, pad, time).await;
        let (status, problem) = post(&d, big.json()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{pad}: {problem}");
        assert_eq!(problem["type"], problem_type, "{pad}");
        assert_eq!(problem["limit"], limit, "{pad}");
        assert!(problem["actual"].as_u64().unwrap() > limit, "{pad}");
        assert_eq!(log_status(&d, big.did().as_str()).await.0, StatusCode::NOT_FOUND, "nothing stored");
    }
    // Typed on the client too.
    let ledger = HttpLedger::new(&d.base).unwrap();
    let big = first_entry(&k, 13_000, time).await;
    assert!(matches!(
        ledger.append(&big).await,
        Err(LedgerError::Limit(LimitError::DocumentTooLarge { max: 12_288, .. }))
    ));
    assert_eq!(ledger_size(&d).await, 0, "nothing was stored");
    // A document under the limit is admitted.
    assert_eq!(post(&d, first_entry(&k, 8_000, time).await.json()).await.0, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_log_length_and_size_caps_refuse_with_422_and_store_nothing() {
    let d = Daemon::start("admission-log", &["--max-log-entries", "2", "--max-log-bytes", "6000"]);
    let ledger = HttpLedger::new(&d.base).unwrap();
    let k = keys(4);
    let t0 = Utc::now() - chrono::Duration::hours(1);
    let doc = entry::document_with_keys("did:didam:{SCID}", &[k[3].public_key()]);
    let (did, _) = operations::create(&ledger, &k[0], &k[1].public_key(), doc, t0).await.unwrap();
    let second =
        operations::rotate(&ledger, &did, &k[1], &k[2].public_key(), t0 + chrono::Duration::seconds(1))
            .await
            .unwrap();
    integrated(&d, 2).await;
    match operations::rotate(&ledger, &did, &k[2], &k[3].public_key(), t0 + chrono::Duration::seconds(2))
        .await
    {
        Err(didam_registry::Error::Ledger(LedgerError::Limit(LimitError::LogTooLong {
            entries: 3,
            max: 2,
            ..
        }))) => {}
        other => panic!("a third entry must be refused: {other:?}"),
    }
    let (status, body) = log_status(&d, did.as_str()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["entries"].as_array().unwrap().len(), 2, "nothing stored");
    let tip = ledger.tip(did.as_did()).await.unwrap();
    assert_eq!(tip.version_id, second.version_id);

    // The bytes cap: a second entry whose document takes the log past 6,000
    // bytes (each entry under the entry and document limits).
    let k = keys(4);
    let first = first_entry(&k, 0, t0).await;
    assert_eq!(post(&d, first.json()).await.0, StatusCode::CREATED);
    let state = ledger.tip(first.did()).await.unwrap();
    let mut document = state.document.clone();
    document["alsoKnownAs"] = json!([format!("https://example.com/{}", "a".repeat(5_000))]);
    let mut parameters = Map::new();
    parameters.insert("updateKeys".into(), json!([k[1].public_key().to_multikey()]));
    parameters.insert("nextKeyHashes".into(), json!([log::key_hash(&k[3].public_key().to_multikey())]));
    let draft = EntryDraft { parameters, document, version_time: t0 + chrono::Duration::seconds(1) };
    let large = log::next_entry(&state, draft, &k[1]).await.unwrap();
    let (status, problem) = post(&d, large.json()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["type"], "urn:didam:ledger:log-too-large");
    assert_eq!(problem["limit"], 6000);
    assert_eq!(problem["did"], first.did().as_str());
    assert_eq!(log_status(&d, first.did().as_str()).await.1["entries"].as_array().unwrap().len(), 1);
    integrated(&d, 3).await;
    assert_eq!(ledger_size(&d).await, 3, "nothing stored beyond the three admitted entries");
}

#[tokio::test(flavor = "multi_thread")]
async fn appends_past_the_append_rate_get_429_with_retry_after() {
    // Two appends per 1,000 s: nothing refills during the test.
    let d =
        Daemon::start("admission-rate", &["--append-rate-limit", "0.001", "--append-rate-limit-burst", "2"]);
    let time = Utc::now() - chrono::Duration::minutes(1);
    for _ in 0..2 {
        let entry = first_entry(&keys(3), 0, time).await;
        assert_eq!(post(&d, entry.json()).await.0, StatusCode::CREATED);
    }
    let third = first_entry(&keys(3), 0, time).await;
    let response = client().post(d.url("/ledger/v1/entries")).json(third.json()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=1000).contains(&retry), "Retry-After {retry}");
    assert!(is_problem(response.headers().get("content-type")));
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["type"], "urn:didam:problem:rate-limited");
    assert_eq!(log_status(&d, third.did().as_str()).await.0, StatusCode::NOT_FOUND, "nothing stored");
    // The append quota is its own: reads go on.
    let health = client().get(d.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    integrated(&d, 2).await;
    assert_eq!(ledger_size(&d).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_entry_3_s_ahead_is_admitted_and_one_beyond_the_skew_tolerance_refused() {
    let d = Daemon::start("admission-skew", &[]);
    let ahead = first_entry(&keys(3), 0, Utc::now() + chrono::Duration::seconds(3)).await;
    let (status, body) = post(&d, ahead.json()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let too_far = Utc::now() + log::MAX_CLOCK_SKEW + chrono::Duration::minutes(1);
    let refused = first_entry(&keys(3), 0, too_far).await;
    let (status, problem) = post(&d, refused.json()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["type"], "urn:didam:ledger:rejected");
    assert_eq!(problem["code"], "invalidDid");
    let detail = problem["detail"].as_str().unwrap();
    let stamp = refused.json()["versionTime"].as_str().unwrap().trim_end_matches('Z').replace('T', " ");
    assert!(detail.contains(&stamp) && detail.contains("ahead of the verifier's clock"), "{detail}");
    assert_eq!(log_status(&d, refused.did().as_str()).await.0, StatusCode::NOT_FOUND, "nothing stored");
}

/// A log stored under larger limits is not read by a daemon with smaller
/// ones: the ledger API and `noCache` resolution answer with errors instead of
/// loading it; a DID at the limit resolves.
#[tokio::test(flavor = "multi_thread")]
async fn a_stored_log_beyond_the_limits_is_refused_and_one_at_the_limit_resolves() {
    let shared = common::temp_dir("admission-read");
    let ledger_file = shared.join("ledger.db");
    let ledger_flag = ["--ledger", ledger_file.to_str().unwrap()];
    let (long, short) = {
        let mut d = Daemon::start("admission-read-1", &ledger_flag);
        let ledger = HttpLedger::new(&d.base).unwrap();
        let t0 = Utc::now() - chrono::Duration::hours(1);
        let mut dids = Vec::new();
        for rotations in [2, 1] {
            let k = keys(4);
            let doc = entry::document_with_keys("did:didam:{SCID}", &[k[3].public_key()]);
            let (did, _) = operations::create(&ledger, &k[0], &k[1].public_key(), doc, t0).await.unwrap();
            for r in 0..rotations {
                let time = t0 + chrono::Duration::seconds(r as i64 + 1);
                operations::rotate(&ledger, &did, &k[r + 1], &k[r + 2].public_key(), time).await.unwrap();
            }
            dids.push(did);
        }
        integrated(&d, 5).await;
        d.terminate();
        d.wait(Duration::from_secs(20));
        (dids.remove(0), dids.remove(0))
    };
    let d = Daemon::start("admission-read-2", &[&ledger_flag[..], &["--max-log-entries", "2"]].concat());
    let (status, problem) = log_status(&d, long.as_str()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["type"], "urn:didam:ledger:log-too-long");
    let resolve = |did: String| {
        let url = d.url(&format!("/1.0/identifiers/{}?noCache=true", encode(&did)));
        async move { client().get(url).send().await.unwrap() }
    };
    let refused = resolve(long.to_string()).await;
    assert!(refused.status().is_server_error(), "{}", refused.status());
    let body: Value = refused.json().await.unwrap();
    assert!(body["didDocument"].is_null(), "no document from a log that was not read: {body}");
    // The DID at the limit (two entries) resolves.
    let at_limit = poll(Duration::from_secs(20), async || {
        let response = resolve(short.to_string()).await;
        (response.status() == StatusCode::OK).then_some(response)
    })
    .await;
    let body: Value = at_limit.json().await.unwrap();
    assert_eq!(body["didDocument"]["id"], short.as_str());
    let _ = std::fs::remove_dir_all(&shared);
}
