//! C2SP signed-note and tlog-checkpoint vectors.
//!
//! The vectors are `shared/vectors/c2sp-note/signed-notes.handwritten.json`
//! (provenance: `shared/vectors/SOURCES.md`, section `c2sp-note/`): cases from
//! the C2SP specs and from golang.org/x/mod `sumdb/note/note_test.go`.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use didam_credential::{KeyType, SecretKey};
use didam_ledger::note::{
    self, Checkpoint, MAX_SIGNATURES, Note, NoteError, NoteSignature, NoteSigner, NoteVerifier,
};
use proptest::prelude::*;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The `shared/` folder beside the repository (or `DIDAM_SHARED`).
fn shared() -> PathBuf {
    std::env::var_os("DIDAM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn vectors() -> Value {
    let path = shared().join("vectors/c2sp-note/signed-notes.handwritten.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn str_list(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect()
}

/// `name+hex key ID`, as the vectors list signers.
fn signer_ids(sigs: &[NoteSignature]) -> Vec<String> {
    sigs.iter().map(|s| format!("{}+{:08x}", s.name, s.key_id)).collect()
}

fn signature_base64(sig: &NoteSignature) -> String {
    let mut raw = sig.key_id.to_be_bytes().to_vec();
    raw.extend_from_slice(&sig.signature);
    B64.encode(raw)
}

fn case_note(case: &Value) -> Vec<u8> {
    match (case.get("note"), case.get("noteHex")) {
        (Some(text), None) => text.as_str().unwrap().as_bytes().to_vec(),
        (None, Some(hex)) => hex::decode(hex.as_str().unwrap()).unwrap(),
        _ => panic!("case {} has neither note nor noteHex", case["id"]),
    }
}

/// A fixed Ed25519 signer, so failures reproduce.
fn fixed_signer(name: &str, seed: u8) -> NoteSigner {
    NoteSigner::new(name, SecretKey::from_bytes(KeyType::Ed25519, &[seed; 32]).unwrap()).unwrap()
}

fn sample_checkpoint() -> Checkpoint {
    Checkpoint {
        origin: "didam.example/ledger".into(),
        size: 20_852_163,
        root: Sha256::digest(b"root").into(),
        extensions: vec!["ext one".into()],
    }
}

#[test]
fn open_cases() {
    let v = vectors();
    let cases = v["openCases"].as_array().unwrap();
    assert_eq!(cases.len(), 16, "openCases in the vector file");
    let (mut valid, mut invalid) = (0, 0);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let verifiers: Vec<NoteVerifier> =
            str_list(&case["verifierKeys"]).into_iter().map(|k| NoteVerifier::parse(k).unwrap()).collect();
        let expect = &case["expect"];
        let result = note::open(&case_note(case), &verifiers);
        if expect["valid"].as_bool().unwrap() {
            valid += 1;
            let opened = result.unwrap_or_else(|e| panic!("{id}: {e}"));
            check_opened(id, &opened, expect);
        } else {
            invalid += 1;
            let err = result.expect_err(id);
            let go_error = expect["error"].as_str().unwrap();
            assert!(err.to_string().starts_with(go_error), "{id}: `{err}` is not Go's `{go_error}`");
            if let Some(unverified) = expect.get("unverifiedSigners") {
                let NoteError::Unverified { note } = &err else { panic!("{id}: {err:?}") };
                assert!(note.verified.is_empty(), "{id}");
                assert_eq!(signer_ids(&note.unverified), str_list(unverified), "{id}");
            }
        }
    }
    assert_eq!((valid, invalid), (5, 11));
}

fn check_opened(id: &str, opened: &Note, expect: &Value) {
    if let Some(text) = expect.get("text") {
        assert_eq!(opened.text, text.as_str().unwrap(), "{id}");
    }
    assert_eq!(signer_ids(&opened.verified), str_list(&expect["verifiedSigners"]), "{id}");
    if let Some(unverified) = expect.get("unverifiedSigners") {
        assert_eq!(signer_ids(&opened.unverified), str_list(unverified), "{id}");
    }
    if let Some(sigs) = expect.get("unverifiedSigs") {
        let want: Vec<(String, String, String)> = sigs
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let field = |k: &str| s[k].as_str().unwrap().to_owned();
                (field("name"), field("keyId"), field("base64"))
            })
            .collect();
        let got: Vec<(String, String, String)> = opened
            .unverified
            .iter()
            .map(|s| (s.name.clone(), format!("{:08x}", s.key_id), signature_base64(s)))
            .collect();
        assert_eq!(got, want, "{id}");
    }
}

#[test]
fn open_error_variants() {
    let v = vectors();
    let by_id = |id: &str| {
        let cases = v["openCases"].as_array().unwrap();
        let case = cases.iter().find(|c| c["id"] == id).unwrap();
        let verifiers: Vec<NoteVerifier> =
            str_list(&case["verifierKeys"]).into_iter().map(|k| NoteVerifier::parse(k).unwrap()).collect();
        note::open(&case_note(case), &verifiers).unwrap_err()
    };
    assert_eq!(by_id("go-open-too-many-signatures"), NoteError::TooManySignatures { max: 100 });
    assert_eq!(
        by_id("go-open-corrupted-signature"),
        NoteError::InvalidSignature { name: "PeterNeumann".into(), key_id: 0xc74f_20a3 }
    );
    assert_eq!(
        by_id("go-open-duplicated-verifier-used"),
        NoteError::AmbiguousKey { name: "EnochRoot".into(), key_id: 0xaf0c_fe78 }
    );
    for n in 1..=7 {
        let err = by_id(&format!("go-open-malformed-{n}"));
        assert!(matches!(err, NoteError::MalformedNote { .. }), "malformed-{n}: {err:?}");
    }
}

#[test]
fn sign_cases() {
    let v = vectors();
    let cases = v["signCases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "signCases in the vector file");
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let signer = NoteSigner::from_key_string(case["signerKey"].as_str().unwrap()).unwrap();
        let text = case["text"].as_str().unwrap();
        let signed = note::sign(text, &[&signer]).unwrap();
        assert_eq!(signed, case["expectNote"].as_str().unwrap(), "{id}");
        let opened = note::open(signed.as_bytes(), &[signer.verifier()]).unwrap();
        assert_eq!(opened.text, text, "{id}");
        assert_eq!(signer_ids(&opened.verified), [format!("{}+{:08x}", signer.name(), signer.key_id())]);
    }
    // The signer key of TestSign belongs to the first verifier key of the file.
    let signer = NoteSigner::from_key_string(cases[0]["signerKey"].as_str().unwrap()).unwrap();
    assert_eq!(signer.verifier().to_vkey(), v["verifierKeyCases"][0]["vkey"].as_str().unwrap());
}

#[test]
fn signer_key_strings_are_checked() {
    let v = vectors();
    let skey = v["signCases"][0]["signerKey"].as_str().unwrap();
    let signer = NoteSigner::from_key_string(skey).unwrap();
    assert_eq!((signer.name(), signer.key_id()), ("PeterNeumann", 0xc74f_20a3));
    // The secret never shows in Debug output.
    let seed_b64 = skey.splitn(5, '+').nth(4).unwrap();
    let shown = format!("{signer:?}");
    assert!(!shown.contains(seed_b64) && shown.contains("PeterNeumann"), "{shown}");

    let verifier_key = v["verifierKeyCases"][0]["vkey"].as_str().unwrap();
    assert!(NoteSigner::from_key_string(verifier_key).is_err(), "a verifier key is no signer key");
    assert!(matches!(
        NoteSigner::from_key_string(&skey.replace("c74f20a3", "c74f20a4")),
        Err(NoteError::KeyIdMismatch { stated: 0xc74f_20a4, computed: 0xc74f_20a3, .. })
    ));
    // Every proper prefix and every one-byte increment fails, without panics.
    for end in 0..skey.len() {
        assert!(NoteSigner::from_key_string(&skey[..end]).is_err(), "{}", &skey[..end]);
    }
    for i in 0..skey.len() {
        let mut bytes = skey.as_bytes().to_vec();
        bytes[i] += 1;
        let mutated = String::from_utf8(bytes).unwrap();
        assert!(NoteSigner::from_key_string(&mutated).is_err(), "{mutated}");
    }
}

#[test]
fn verifier_key_cases() {
    let v = vectors();
    let cases = v["verifierKeyCases"].as_array().unwrap();
    assert_eq!(cases.len(), 6, "verifierKeyCases in the vector file");
    let (mut valid, mut invalid, mut mutations) = (0, 0, 0);
    for case in cases {
        if let Some(vkey) = case.get("vkey").and_then(Value::as_str) {
            let parsed = NoteVerifier::parse(vkey);
            if case["valid"].as_bool().unwrap() {
                valid += 1;
                let verifier = parsed.unwrap_or_else(|e| panic!("{vkey}: {e}"));
                assert_eq!(verifier.to_vkey(), vkey);
                assert_eq!(verifier.to_string(), vkey);
                let mut fields = vkey.splitn(3, '+');
                assert_eq!(verifier.name(), fields.next().unwrap());
                assert_eq!(format!("{:08x}", verifier.key_id()), fields.next().unwrap());
            } else {
                invalid += 1;
                assert!(parsed.is_err(), "{vkey} ({})", case["reason"]);
            }
        } else {
            mutations += 1;
            assert!(!case["valid"].as_bool().unwrap());
            let base = str_list(&v["openCases"][1]["verifierKeys"])[0];
            assert!(case["vkeyMutation"].as_str().unwrap().contains(base));
            check_vkey_mutations(base);
        }
    }
    assert_eq!((valid, invalid, mutations), (3, 2, 1));
    // The two rejected keys fail for the reasons the vectors give.
    let reason = |i: usize| NoteVerifier::parse(cases[i]["vkey"].as_str().unwrap()).unwrap_err();
    assert!(matches!(reason(3), NoteError::MalformedKey { .. }), "{:?}", reason(3));
    assert_eq!(reason(4), NoteError::UnsupportedAlgorithm(0x65));
}

/// note_test.go lines 23-43: every proper substring, and every variant with one
/// byte incremented, is refused.
fn check_vkey_mutations(vkey: &str) {
    assert!(NoteVerifier::parse(vkey).is_ok());
    let mut checked = 0;
    for start in 0..=vkey.len() {
        for end in start..=vkey.len() {
            if (start, end) != (0, vkey.len()) {
                assert!(NoteVerifier::parse(&vkey[start..end]).is_err(), "{}", &vkey[start..end]);
                checked += 1;
            }
        }
    }
    for i in 0..vkey.len() {
        let mut bytes = vkey.as_bytes().to_vec();
        bytes[i] += 1;
        let mutated = String::from_utf8(bytes).unwrap();
        assert!(NoteVerifier::parse(&mutated).is_err(), "{mutated}");
        checked += 1;
    }
    let n = vkey.len();
    assert_eq!(checked, (n + 1) * (n + 2) / 2 - 1 + n);
}

#[test]
fn verifier_from_public_key_matches_the_vkey() {
    let v = vectors();
    let skey = v["signCases"][0]["signerKey"].as_str().unwrap();
    let signer = NoteSigner::from_key_string(skey).unwrap();
    let seed = B64.decode(skey.splitn(5, '+').nth(4).unwrap()).unwrap();
    let secret = SecretKey::from_bytes(KeyType::Ed25519, &seed[1..]).unwrap();
    let verifier = NoteVerifier::new("PeterNeumann", secret.public_key()).unwrap();
    assert_eq!(verifier, signer.verifier());
    assert_eq!(NoteSigner::new("PeterNeumann", secret).unwrap().key_id(), signer.key_id());
    let p256 = SecretKey::generate(KeyType::P256).public_key();
    assert_eq!(NoteVerifier::new("x", p256).unwrap_err(), NoteError::UnsupportedKeyType(KeyType::P256));
}

#[test]
fn parse_only_examples() {
    let v = vectors();
    let cases = v["parseOnlyExamples"].as_array().unwrap();
    assert_eq!(cases.len(), 2, "parseOnlyExamples in the vector file");
    let mut checkpoints = 0;
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let expect = &case["expect"];
        // No key is published: opening with no verifiers parses the note and
        // reports every signature as unverified.
        let err = note::open(case["note"].as_str().unwrap().as_bytes(), &[]).unwrap_err();
        let NoteError::Unverified { note } = err else { panic!("{id}: {err:?}") };
        assert!(note.verified.is_empty());
        let want: Vec<(&str, &str)> = expect["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["name"].as_str().unwrap(), s["keyId"].as_str().unwrap()))
            .collect();
        let got: Vec<(String, String)> =
            note.unverified.iter().map(|s| (s.name.clone(), format!("{:08x}", s.key_id))).collect();
        let got: Vec<(&str, &str)> = got.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(got, want, "{id}");
        assert!(note.unverified.iter().all(|s| s.signature.len() == 64), "{id}: Ed25519 signatures");
        if let Some(text) = expect.get("text") {
            assert_eq!(note.text, text.as_str().unwrap(), "{id}");
        }
        match expect.get("origin") {
            Some(origin) => {
                checkpoints += 1;
                let checkpoint = Checkpoint::parse(&note.text).unwrap();
                assert_eq!(checkpoint.origin, origin.as_str().unwrap(), "{id}");
                assert_eq!(checkpoint.size, expect["treeSize"].as_u64().unwrap(), "{id}");
                assert_eq!(B64.encode(checkpoint.root), expect["rootHashBase64"].as_str().unwrap(), "{id}");
                assert_eq!(checkpoint.extensions, str_list(&expect["extensionLines"]), "{id}");
                assert_eq!(checkpoint.to_text(), note.text, "{id}: round trip");
            }
            // The poem is a note but not a checkpoint.
            None => {
                assert!(matches!(Checkpoint::parse(&note.text), Err(NoteError::InvalidCheckpoint { .. })))
            }
        }
    }
    assert_eq!(checkpoints, 1);
}

#[test]
fn go_sumdb_tree_bodies() {
    let v = vectors();
    let tree = &v["goSumdbTreeNote"];
    let good = &tree["good"];
    let checkpoint = Checkpoint::parse(good["body"].as_str().unwrap()).unwrap();
    assert_eq!(checkpoint.origin, good["origin"].as_str().unwrap());
    assert_eq!(checkpoint.size, good["treeSize"].as_u64().unwrap());
    let leaf_hash: [u8; 32] =
        Sha256::new().chain_update([0u8]).chain_update(b"hello world").finalize().into();
    assert_eq!(checkpoint.root, leaf_hash);
    assert_eq!(B64.encode(checkpoint.root), good["rootHashBase64"].as_str().unwrap());
    assert_eq!(checkpoint.to_text(), good["body"].as_str().unwrap());

    let bad = str_list(&tree["bad"]);
    assert_eq!(bad.len(), 3);
    // Go's legacy format fixes the origin; a C2SP checkpoint may have any origin.
    assert_eq!(Checkpoint::parse(bad[0]).unwrap().origin, "not-go.sum database tree");
    for body in &bad[1..] {
        assert!(matches!(Checkpoint::parse(body), Err(NoteError::InvalidCheckpoint { .. })), "{body}");
    }
}

#[test]
fn checkpoint_parse_is_strict() {
    let root = B64.encode([0u8; 32]);
    let good = format!("log\n0\n{root}\n");
    assert!(Checkpoint::parse(&good).is_ok());
    let bad = [
        String::new(),
        format!("log\n0\n{root}"),
        format!("\n0\n{root}\n"),
        format!("log\n00\n{root}\n"),
        format!("log\n01\n{root}\n"),
        format!("log\n-1\n{root}\n"),
        format!("log\n+1\n{root}\n"),
        format!("log\n18446744073709551616\n{root}\n"),
        format!("log\n1\n{}\n", B64.encode([0u8; 31])),
        format!("log\n1\n{}\n", B64.encode([0u8; 33])),
        format!("log\n1\n{}\n", root.trim_end_matches('=')),
        "log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n".to_owned(),
        format!("log\n1\n{root}\n\n"),
        format!("log\n1\n{root}\next\n\n"),
        format!("log\n1\n{root}\next\tension\n"),
        "log\n1\n".to_owned(),
        "log\n".to_owned(),
    ];
    for text in &bad {
        assert!(matches!(Checkpoint::parse(text), Err(NoteError::InvalidCheckpoint { .. })), "{text:?}");
    }
}

#[test]
fn flipping_any_byte_of_a_signed_checkpoint_fails() {
    let signer = fixed_signer("didam.example/ledger", 1);
    let verifier = signer.verifier();
    let signed = sample_checkpoint().sign(&signer).unwrap();
    let (checkpoint, opened) = Checkpoint::open(signed.as_bytes(), &verifier).unwrap();
    assert_eq!(checkpoint, sample_checkpoint());
    assert_eq!(signer_ids(&opened.verified), [format!("didam.example/ledger+{:08x}", signer.key_id())]);
    let mut tried = 0;
    for i in 0..signed.len() {
        for mask in [0x01u8, 0x02, 0x20, 0x40, 0x80, 0xff] {
            let mut bytes = signed.clone().into_bytes();
            bytes[i] ^= mask;
            assert!(note::open(&bytes, std::slice::from_ref(&verifier)).is_err(), "byte {i} ^ {mask:#04x}");
            assert!(Checkpoint::open(&bytes, &verifier).is_err(), "byte {i} ^ {mask:#04x}");
            tried += 1;
        }
    }
    assert_eq!(tried, signed.len() * 6);
}

#[test]
fn truncated_and_malformed_notes_are_errors() {
    let signer = fixed_signer("didam.example/ledger", 2);
    let verifiers = [signer.verifier()];
    let signed = sample_checkpoint().sign(&signer).unwrap();
    assert!(note::open(signed.as_bytes(), &verifiers).is_ok());
    // Every proper prefix (one signature line: none of them is a whole note).
    for end in 0..signed.len() {
        assert!(note::open(&signed.as_bytes()[..end], &verifiers).is_err(), "prefix of {end} bytes");
    }
    let malformed =
        |bytes: &[u8]| matches!(note::open(bytes, &verifiers), Err(NoteError::MalformedNote { .. }));
    // Missing blank line.
    assert!(malformed(signed.replacen("\n\n", "\n", 1).as_bytes()));
    // Bad base64: a character outside the alphabet, missing padding, and a
    // non-canonical last character (trailing bits set).
    let line_start = signed.find('\u{2014}').unwrap();
    let (text, line) = signed.split_at(line_start);
    let sig = line.rsplit(' ').next().unwrap().trim_end();
    assert!(malformed(format!("{text}\u{2014} didam.example/ledger !{}\n", &sig[1..]).as_bytes()));
    assert!(malformed(
        format!("{text}\u{2014} didam.example/ledger {}\n", sig.trim_end_matches('=')).as_bytes()
    ));
    assert_eq!(B64.decode(sig).unwrap().len() % 3, 2, "68 bytes leave two trailing bits");
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let last = sig.len() - 2;
    let value = alphabet.find(&sig[last..=last]).unwrap();
    let bumped = format!("{}{}=", &sig[..last], &alphabet[value ^ 1..=value ^ 1]);
    assert!(malformed(format!("{text}\u{2014} didam.example/ledger {bumped}\n").as_bytes()));
    // Wrong separators, CR line endings, a signature too short to hold a key ID.
    assert!(malformed(signed.replace('\u{2014}', "-").as_bytes()));
    assert!(malformed(signed.replace('\n', "\r\n").as_bytes()));
    assert!(malformed(format!("{text}\u{2014} didam.example/ledger AAAAAA==\n").as_bytes()));
    assert!(malformed(format!("{text}\u{2014}  {sig}\n").as_bytes()));
    assert!(malformed(b"\n"));
    assert!(malformed(b""));
}

#[test]
fn the_signature_limit_is_one_hundred_lines() {
    let text = sample_checkpoint().to_text();
    let signers: Vec<NoteSigner> =
        (0..=MAX_SIGNATURES).map(|i| fixed_signer(&format!("witness{i}"), i as u8)).collect();
    let refs: Vec<&NoteSigner> = signers.iter().collect();
    assert_eq!(note::sign(&text, &refs), Err(NoteError::TooManySignatures { max: 100 }));
    // 100 lines by 100 keys open; the one verifier given is among them.
    let hundred = note::sign(&text, &refs[..MAX_SIGNATURES]).unwrap();
    let opened = note::open(hundred.as_bytes(), &[signers[42].verifier()]).unwrap();
    assert_eq!((opened.verified.len(), opened.unverified.len()), (1, 99));
    // A 101st line is refused before any verification, even a valid one.
    let extra = note::sign(&text, &[&signers[MAX_SIGNATURES]]).unwrap();
    let line = &extra[text.len() + 1..];
    let too_many = format!("{hundred}{line}");
    let verifier = signers[MAX_SIGNATURES].verifier();
    assert_eq!(note::open(too_many.as_bytes(), &[verifier]), Err(NoteError::TooManySignatures { max: 100 }));
}

#[test]
fn several_signers_and_known_key_failures() {
    let log = fixed_signer("didam.example/ledger", 3);
    let witness = fixed_signer("witness.example/w1", 4);
    let text = sample_checkpoint().to_text();
    let signed = note::sign(&text, &[&log, &witness]).unwrap();
    let opened = note::open(signed.as_bytes(), &[log.verifier(), witness.verifier()]).unwrap();
    assert_eq!(opened.verified.len(), 2);
    // Checkpoint::open needs only the log's key; the witness is kept unverified.
    let (_, opened) = Checkpoint::open(signed.as_bytes(), &log.verifier()).unwrap();
    assert_eq!(signer_ids(&opened.unverified), [format!("witness.example/w1+{:08x}", witness.key_id())]);
    // Another key under the witness's name has another key ID: no signature is
    // by a known key, so the note is refused.
    let wrong = fixed_signer("witness.example/w1", 5);
    assert!(matches!(
        Checkpoint::open(signed.as_bytes(), &wrong.verifier()),
        Err(NoteError::Unverified { .. })
    ));
    // Spec: a second, different signature by a known key is verified too.
    let other_text = note::sign("other\n", &[&log]).unwrap();
    let foreign_line = &other_text["other\n\n".len()..];
    let doubled = format!("{signed}{foreign_line}");
    assert_eq!(
        Checkpoint::open(doubled.as_bytes(), &log.verifier()).unwrap_err(),
        NoteError::InvalidSignature { name: log.name().into(), key_id: log.key_id() }
    );
}

proptest! {
    #[test]
    fn checkpoints_round_trip(
        origin in "[^\\x00-\\x1f]{1,40}",
        size in any::<u64>(),
        root in any::<[u8; 32]>(),
        extensions in prop::collection::vec("[^\\x00-\\x1f]{1,20}", 0..4),
    ) {
        let checkpoint = Checkpoint { origin, size, root, extensions };
        let text = checkpoint.to_text();
        prop_assert_eq!(Checkpoint::parse(&text).unwrap(), checkpoint.clone());
        let signer = fixed_signer("log", 7);
        let signed = checkpoint.sign(&signer).unwrap();
        let (opened, note) = Checkpoint::open(signed.as_bytes(), &signer.verifier()).unwrap();
        prop_assert_eq!(opened, checkpoint);
        prop_assert_eq!(note.text, text);
    }

    #[test]
    fn arbitrary_input_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let verifier = fixed_signer("log", 7).verifier();
        let _ = note::open(&bytes, std::slice::from_ref(&verifier));
        let _ = Checkpoint::open(&bytes, &verifier);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = Checkpoint::parse(text);
            let _ = NoteVerifier::parse(text);
            let _ = NoteSigner::from_key_string(text);
        }
    }

    #[test]
    fn noteish_input_never_panics(
        text in "[a-z\n]{0,20}",
        name in "[a-z+ ]{0,6}",
        sig in "[A-Za-z0-9+/=]{0,100}",
        sep in prop::sample::select(vec!["\n\n", "\n", ""]),
    ) {
        let verifier = fixed_signer("log", 7).verifier();
        let candidate = format!("{text}{sep}\u{2014} {name} {sig}\n");
        let _ = note::open(candidate.as_bytes(), &[verifier]);
    }
}
