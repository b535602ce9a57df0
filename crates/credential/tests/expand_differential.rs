//! The fast JSON-LD walker against json-ld's general expansion: on every JSON
//! document of the W3C vector folders (and each one without its `proof`), when
//! the fast path gives a canonical form it must equal the general path's,
//! byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::run;
use didam_credential::canon::rdfc_both_paths;
use serde_json::Value;

fn json_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "contexts" && n != "context") {
                json_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "json" || e == "jsonld") {
            out.push(path);
        }
    }
}

#[test]
fn fast_and_general_paths_agree() {
    let mut files = Vec::new();
    json_files(&common::shared().join("w3c-vectors"), &mut files);
    files.sort();
    let (mut same, mut fallback, mut refused) = (0, 0, 0);
    for path in &files {
        let Ok(doc) = serde_json::from_str::<Value>(&std::fs::read_to_string(path).unwrap()) else {
            continue;
        };
        if !doc.is_object() || doc.get("@context").is_none() {
            continue;
        }
        let mut variants = vec![doc.clone()];
        if let Some(map) = doc.as_object().filter(|m| m.contains_key("proof")) {
            let mut unsecured = map.clone();
            unsecured.remove("proof");
            variants.push(Value::Object(unsecured));
        }
        for variant in variants {
            match run(rdfc_both_paths(&variant)) {
                Err(_) => refused += 1,
                Ok((None, _)) => fallback += 1,
                Ok((Some(fast), general)) => {
                    let general = general.unwrap_or_else(|e| {
                        panic!(
                            "{}: the fast path accepted what the general path refuses: {e}",
                            path.display()
                        )
                    });
                    assert_eq!(fast, general, "{}", path.display());
                    same += 1;
                }
            }
        }
    }
    println!("fast path identical: {same}, fell back: {fallback}, unknown contexts: {refused}");
    // The walker must keep covering the common credential shapes.
    assert!(same >= 120, "only {same} documents took the fast path");
}
