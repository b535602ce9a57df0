//! The checks read what the proof covers: for an RDFC-secured credential,
//! every rewrite of its JSON that keeps the canonical RDF dataset (so keeps
//! the signature valid) leaves the verdict and every check outcome unchanged.
//! See: issue 17 ("checks on what the proof covers").
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use chrono::Duration;
use common::{Issuer, REVOCATION_URL, assert_fails_only, now, run};
use didam_credential::canon;
use didam_credential::did::OfflineResolver;
use didam_credential::{Outcome, Report, Suite};
use didam_verifier::status::StaticStatusSource;
use didam_verifier::{CheckKind, Verifier};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// The canonical dataset of a secured document without its proofs.
fn dataset(doc: &Value) -> String {
    let mut unsecured = doc.clone();
    unsecured.as_object_mut().unwrap().remove("proof");
    run(canon::rdfc(&unsecured)).unwrap()
}

fn outcomes(report: &Report) -> Vec<(CheckKind, Outcome)> {
    report.checks.iter().map(|c| (c.check, c.outcome)).collect()
}

// --- Regressions: each was VALID before the checks read the covered view. ---

#[test]
fn r17_a_status_type_written_as_an_array_still_has_its_status_checked() {
    let mut issuer = Issuer::new();
    let (vc, r, _) = issuer.issue("did:example:alice", Suite::EddsaRdfc2022);
    issuer.revocation.revoke(r).unwrap();
    let mut rewritten = vc.clone();
    for entry in rewritten["credentialStatus"].as_array_mut().unwrap() {
        entry["type"] = json!(["BitstringStatusListEntry"]);
    }
    assert_eq!(dataset(&rewritten), dataset(&vc), "the rewrite keeps the signed dataset");
    let report = run(issuer.verifier().verify_credential(&rewritten.to_string())).unwrap();
    assert_fails_only(&report, CheckKind::Status, &format!("revoked (index {r} of {REVOCATION_URL})"));
}

#[test]
fn r17_an_expiry_spelled_through_an_inline_alias_is_still_judged() {
    let issuer = Issuer::new();
    let mut vc = common::credential(&issuer.party.did, "did:example:alice");
    vc["validUntil"] = json!((now() - Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let signed = issuer.party.issue(&vc, Suite::EddsaRdfc2022);
    let mut rewritten = signed.clone();
    let map = rewritten.as_object_mut().unwrap();
    let until = map.shift_remove("validUntil").unwrap();
    map.insert("endsAt".into(), until);
    map["@context"].as_array_mut().unwrap().push(json!({
        "endsAt": { "@id": "https://www.w3.org/2018/credentials#validUntil",
                    "@type": "http://www.w3.org/2001/XMLSchema#dateTime" }
    }));
    assert_eq!(dataset(&rewritten), dataset(&signed), "the rewrite keeps the signed dataset");
    let verifier = Verifier::new(OfflineResolver).at(now());
    let report = run(verifier.verify_credential(&rewritten.to_string())).unwrap();
    assert_fails_only(&report, CheckKind::ValidUntil, "expired");
}

#[test]
fn r17_a_proof_option_spelled_as_an_iri_fails_the_proof() {
    // `created` (and so `expires`) written as its IRI with a typed value: the
    // signed proof options are the same RDF, but a check reading the JSON
    // would not see them.
    let issuer = Issuer::new();
    let vc = common::credential(&issuer.party.did, "did:example:alice");
    let signed = issuer.party.issue(&vc, Suite::EddsaRdfc2022);
    let valid = run(Verifier::new(OfflineResolver).at(now()).verify_credential(&signed.to_string())).unwrap();
    assert!(valid.is_valid(), "{valid:?}");
    let mut rewritten = signed.clone();
    let proof = rewritten["proof"].as_object_mut().unwrap();
    let created = proof.shift_remove("created").unwrap();
    proof.insert(
        "http://purl.org/dc/terms/created".into(),
        json!({ "@value": created, "@type": "http://www.w3.org/2001/XMLSchema#dateTime" }),
    );
    let report =
        run(Verifier::new(OfflineResolver).at(now()).verify_credential(&rewritten.to_string())).unwrap();
    assert_fails_only(
        &report,
        CheckKind::Proof,
        "the proof has `http://purl.org/dc/terms/created`, which is not a Data Integrity proof property written as its term",
    );
}

#[test]
fn r17_a_presentation_whose_credentials_are_under_an_iri_is_not_valid() {
    let issuer = Issuer::new();
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuer.party.did,
        "validFrom": "2025-05-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice" }
    });
    // Forged: the issuer never signed this subject.
    let mut vc = issuer.party.issue(&unsigned, Suite::EddsaRdfc2022);
    vc["credentialSubject"]["id"] = json!("did:example:mallory");
    let holder = common::Party::new();
    let mut vp = common::presentation(&holder.did, vec![]);
    vp.as_object_mut().unwrap().shift_remove("verifiableCredential");
    // An inline alias of `verifiableCredential`, with its graph container.
    vp["@context"].as_array_mut().unwrap().push(json!({ "vcs": {
        "@id": "https://www.w3.org/2018/credentials#verifiableCredential",
        "@type": "@id",
        "@container": "@graph",
        "@context": null
    }}));
    vp["vcs"] = json!([vc]);
    let signed = holder.present(&vp, Some("c-1"), None, Suite::EddsaRdfc2022);
    let report = run(Verifier::new(OfflineResolver).at(now()).verify_presentation(
        &signed.to_string(),
        Some("c-1"),
        None,
    ))
    .unwrap();
    assert!(!report.is_valid(), "{report:?}");
    // Refused by JSON-LD expansion here (the alias's scoped context), and
    // by the view's check where expansion lets it through.
    assert_eq!(
        report.checks.iter().find(|c| c.check == CheckKind::DataModel).map(|c| c.outcome),
        Some(Outcome::Failed),
        "{report:?}"
    );
    assert!(report.checks.iter().all(|c| c.check != CheckKind::EmbeddedCredential), "{report:?}");
}

// --- The property: dataset-preserving rewrites change nothing. ---

/// One rewrite of a document's JSON that keeps its RDF dataset.
#[derive(Clone, Debug)]
enum Rewrite {
    /// Wrap the `n`-th single value (not an `id`) in a one-element array.
    Wrap(usize),
    /// Spell the `n`-th object's `type`/`id` as `@type`/`@id`.
    Keywords(usize),
    /// Reverse the key order of the `n`-th object.
    Reorder(usize),
    /// Rename the top-level `credentialStatus`, `validFrom`, `validUntil` and
    /// `type` through aliases of an inline context.
    Aliases,
    /// Add an inline context that defines nothing used.
    NoOpContext,
    /// Replace the body with its JSON-LD expanded form (full IRIs, value objects).
    Expand,
}

fn rewrite() -> impl Strategy<Value = Rewrite> {
    prop_oneof![
        3 => any::<usize>().prop_map(Rewrite::Wrap),
        3 => any::<usize>().prop_map(Rewrite::Keywords),
        2 => any::<usize>().prop_map(Rewrite::Reorder),
        1 => Just(Rewrite::Aliases),
        1 => Just(Rewrite::NoOpContext),
        1 => Just(Rewrite::Expand),
    ]
}

/// How many objects are under `value` outside `@context` and `proof`.
fn count_objects(value: &Value) -> usize {
    match value {
        Value::Object(map) => {
            1 + map.iter().filter(|(k, _)| !skipped(k)).map(|(_, v)| count_objects(v)).sum::<usize>()
        }
        Value::Array(items) => items.iter().map(count_objects).sum(),
        _ => 0,
    }
}

fn skipped(key: &str) -> bool {
    matches!(key, "@context" | "proof" | "@value")
}

/// Applies `f` to the `n`-th object (modulo their count).
fn nth_object(doc: &mut Value, n: usize, f: impl FnOnce(&mut Map<String, Value>)) {
    let count = count_objects(doc);
    with_object(doc, n % count, &mut 0, &mut Some(f));
}

fn with_object(
    value: &mut Value,
    target: usize,
    i: &mut usize,
    f: &mut Option<impl FnOnce(&mut Map<String, Value>)>,
) {
    match value {
        Value::Object(map) => {
            if *i == target {
                if let Some(f) = f.take() {
                    f(map);
                }
                return;
            }
            *i += 1;
            for (k, v) in map.iter_mut() {
                if !skipped(k) {
                    with_object(v, target, i, f);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| with_object(v, target, i, f)),
        _ => {}
    }
}

fn apply(doc: &Value, step: &Rewrite) -> Value {
    let mut doc = doc.clone();
    match step {
        Rewrite::Wrap(n) => nth_object(&mut doc, *n, |map| {
            let key = map
                .iter()
                .find(|(k, v)| !k.starts_with('@') && !matches!(k.as_str(), "id" | "proof") && !v.is_array())
                .map(|(k, _)| k.clone());
            if let Some(key) = key {
                let v = map[&key].take();
                map[&key] = json!([v]);
            }
        }),
        Rewrite::Keywords(n) => nth_object(&mut doc, *n, |map| {
            for (from, to) in [("type", "@type"), ("id", "@id")] {
                if let Some(v) = map.shift_remove(from) {
                    map.insert(to.into(), v);
                }
            }
        }),
        Rewrite::Reorder(n) => nth_object(&mut doc, *n, |map| {
            let reversed: Map<String, Value> = std::mem::take(map).into_iter().rev().collect();
            *map = reversed;
        }),
        Rewrite::Aliases => {
            let map = doc.as_object_mut().unwrap();
            let aliases = [
                (
                    "credentialStatus",
                    "st",
                    json!({"@id": "https://www.w3.org/2018/credentials#credentialStatus", "@type": "@id"}),
                ),
                (
                    "validFrom",
                    "vf",
                    json!({"@id": "https://www.w3.org/2018/credentials#validFrom", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"}),
                ),
                (
                    "validUntil",
                    "vu",
                    json!({"@id": "https://www.w3.org/2018/credentials#validUntil", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"}),
                ),
                ("type", "kind", json!("@type")),
            ];
            let mut defs = Map::new();
            for (term, alias, def) in aliases {
                if let Some(v) = map.shift_remove(term) {
                    map.insert(alias.into(), v);
                    defs.insert(alias.into(), def);
                }
            }
            push_context(map, Value::Object(defs));
        }
        Rewrite::NoOpContext => {
            let map = doc.as_object_mut().unwrap();
            push_context(map, json!({ "unusedTerm": "https://example.org/unused#term" }));
        }
        Rewrite::Expand => {
            let mut unsecured = doc.clone();
            let proof = unsecured.as_object_mut().unwrap().remove("proof");
            let expanded = run(canon::expanded(&unsecured)).unwrap();
            let [Value::Object(node)] = expanded.as_array().unwrap().as_slice() else {
                panic!("one top-level node: {expanded}");
            };
            let mut out = Map::new();
            out.insert("@context".into(), doc["@context"].clone());
            out.extend(node.clone());
            if let Some(p) = proof {
                out.insert("proof".into(), p);
            }
            doc = Value::Object(out);
        }
    }
    doc
}

fn push_context(map: &mut Map<String, Value>, ctx: Value) {
    let context = map.get_mut("@context").unwrap();
    if !context.is_array() {
        *context = json!([context.take()]);
    }
    context.as_array_mut().unwrap().push(ctx);
}

/// Our own credentials (with status, some revoked, some expired), each with
/// the verifier that knows its lists.
fn own_cases() -> Vec<(Value, Verifier<OfflineResolver, StaticStatusSource>)> {
    let mut cases = Vec::new();
    for (suite, revoke, expire) in [
        (Suite::EddsaRdfc2022, false, false),
        (Suite::EddsaRdfc2022, true, false),
        (Suite::EcdsaRdfc2019, false, true),
    ] {
        let mut issuer = Issuer::new();
        if suite == Suite::EcdsaRdfc2019 {
            issuer.party = common::Party::with_key(didam_credential::KeyType::P256);
        }
        let r = issuer.revocation.allocate().unwrap();
        let s = issuer.suspension.allocate().unwrap();
        let mut vc = common::credential(&issuer.party.did, "did:example:alice");
        vc["credentialStatus"] =
            json!([issuer.revocation.entry(r).unwrap(), issuer.suspension.entry(s).unwrap()]);
        let until = if expire { now() - Duration::days(2) } else { now() + Duration::days(30) };
        vc["validUntil"] = json!(until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let signed = issuer.party.issue(&vc, suite);
        if revoke {
            issuer.revocation.revoke(r).unwrap();
        }
        cases.push((signed, issuer.verifier()));
    }
    cases
}

/// RDFC-secured W3C vectors, checked with the default policy.
fn w3c_cases() -> Vec<Value> {
    [
        "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/signedDataInt.json",
        "vc-di-ecdsa/TestVectors/ecdsa-rdfc-2019-p256/signedECDSAP256.json",
        "vc-di-ecdsa/TestVectors/ecdsa-rdfc-2019-p256/employ/signedECDSAP256.json",
    ]
    .iter()
    .map(|p| {
        serde_json::from_str(&std::fs::read_to_string(common::shared().join("w3c-vectors").join(p)).unwrap())
            .unwrap()
    })
    .collect()
}

fn assert_unchanged(
    original: &Value,
    steps: &[Rewrite],
    verifier: &Verifier<OfflineResolver, StaticStatusSource>,
) -> Result<(), TestCaseError> {
    let mut doc = original.clone();
    for step in steps {
        doc = apply(&doc, step);
    }
    prop_assert_eq!(dataset(&doc), dataset(original), "rewrite {:?} must keep the dataset", steps);
    let before = run(verifier.verify_credential(&original.to_string())).unwrap();
    let after = run(verifier.verify_credential(&doc.to_string())).unwrap();
    prop_assert_eq!(before.is_valid(), after.is_valid(), "{:?}\n{}\n{}", steps, before, after);
    prop_assert_eq!(outcomes(&before), outcomes(&after), "{:?}\n{}\n{}", steps, before, after);
    Ok(())
}

proptest! {
    // Each case verifies six credentials twice: a few dozen cases run in seconds.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn rewrites_that_keep_the_dataset_change_no_check(steps in prop::collection::vec(rewrite(), 1..5)) {
        for (vc, verifier) in own_cases() {
            assert_unchanged(&vc, &steps, &verifier)?;
        }
        let plain = Verifier::new(OfflineResolver).at(now()).with_status_source(StaticStatusSource::new());
        for vc in w3c_cases() {
            assert_unchanged(&vc, &steps, &plain)?;
        }
    }
}
