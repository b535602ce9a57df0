//! Soundness regressions of issue 17 with the real `didam` binary, a real
//! wallet and a real embedded ledger.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

mod common;

use common::{Home, code, text};

/// Issue 17: a credential signed by a key of a deactivated did:didam verified
/// VALID in `didam vc verify` (the daemon refused it). The engine's one rule
/// (`Resolution::verification_method`) now refuses it for both.
#[test]
fn r17_a_key_of_a_deactivated_did_is_refused_by_vc_verify() {
    let h = Home::new("deactivated");
    h.init("issuer");
    let issuer = h.json("issuer", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    h.ok("issuer", &["ledger", "checkpoint"]);
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "degree": "BSc" }
    });
    std::fs::write(h.p("unsigned.json"), unsigned.to_string()).unwrap();
    let vc = h.p("vc.json");
    h.ok("issuer", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &issuer, "--out", &vc]);
    let before = h.run("issuer", &["vc", "verify", &vc]);
    assert_eq!(code(&before), 0, "{}{}", text(&before.stdout), text(&before.stderr));

    h.ok("issuer", &["did", "deactivate", &issuer]);
    h.ok("issuer", &["ledger", "checkpoint"]);
    let after = h.run("issuer", &["vc", "verify", &vc]);
    let out = text(&after.stdout) + &text(&after.stderr);
    assert_ne!(code(&after), 0, "a deactivated issuer's credential must not verify:\n{out}");
    assert!(out.contains("deactivated"), "the refusal names the reason:\n{out}");
}

/// An unsigned credential whose status list is `url`.
fn with_status_list(h: &Home, url: &str) -> String {
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "degree": "BSc" },
        "credentialStatus": {
            "id": format!("{url}#7"),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "7",
            "statusListCredential": url
        }
    });
    let path = h.p("unsigned-with-status.json");
    std::fs::write(&path, credential.to_string()).unwrap();
    path
}

/// A server on a loopback port that counts its connections and answers each
/// with `respond` (which counts the body bytes it wrote); returns the port,
/// the count and the bytes written.
fn loopback_server(
    respond: fn(&mut std::net::TcpStream, &AtomicUsize),
) -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let written = Arc::new(AtomicUsize::new(0));
    let (c, w) = (Arc::clone(&connections), Arc::clone(&written));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            c.fetch_add(1, Ordering::SeqCst);
            // Read the request head before answering.
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            respond(&mut stream, &w);
        }
    });
    (port, connections, written)
}

fn not_found(stream: &mut std::net::TcpStream, _: &AtomicUsize) {
    let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
}

/// Issue 17: verifying an untrusted, even unsigned, credential made the CLI
/// send a GET to the loopback URL named as its `statusListCredential`.
/// Status lists now follow the did:web fetch policy: no connection to a
/// loopback address unless the operator passes `--status-allow-loopback`.
#[test]
fn r17_a_status_list_on_a_loopback_address_is_not_fetched_without_the_opt_in() {
    let h = Home::new("status-ssrf");
    let (port, connections, _) = loopback_server(not_found);
    let vc = with_status_list(&h, &format!("http://127.0.0.1:{port}/list"));

    let refused = h.run("verifier", &["vc", "verify", &vc]);
    let out = text(&refused.stdout) + &text(&refused.stderr);
    assert_ne!(code(&refused), 0, "{out}");
    assert_eq!(connections.load(Ordering::SeqCst), 0, "no connection without the opt-in:\n{out}");
    assert!(out.contains(&format!("127.0.0.1:{port}/list")), "the report names the URL:\n{out}");
    assert!(out.contains("public addresses"), "the report names the refusal:\n{out}");

    let allowed = h.run("verifier", &["vc", "verify", &vc, "--status-allow-loopback"]);
    let out = text(&allowed.stdout) + &text(&allowed.stderr);
    assert!(connections.load(Ordering::SeqCst) >= 1, "the opt-in fetches from loopback:\n{out}");
}

/// A status list larger than the limit is refused while it is read, not
/// buffered whole: the server streams without end and the CLI stops reading
/// at the limit (1 MiB), well before the 10 s timeout.
#[test]
fn r17_a_status_list_over_the_size_limit_is_refused_while_read() {
    fn endless(stream: &mut std::net::TcpStream, written: &AtomicUsize) {
        let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
        if stream.write_all(head).is_err() {
            return;
        }
        let chunk = [b' '; 64 * 1024];
        // At most 256 MiB: far more than the limit, and than any buffer.
        while written.load(Ordering::SeqCst) < 256 * 1024 * 1024 && stream.write_all(&chunk).is_ok() {
            written.fetch_add(chunk.len(), Ordering::SeqCst);
        }
    }
    let h = Home::new("status-size");
    let (port, connections, written) = loopback_server(endless);
    let vc = with_status_list(&h, &format!("http://127.0.0.1:{port}/list"));

    let started = std::time::Instant::now();
    let run = h.run("verifier", &["vc", "verify", &vc, "--status-allow-loopback"]);
    let out = text(&run.stdout) + &text(&run.stderr);
    assert_ne!(code(&run), 0, "{out}");
    assert!(connections.load(Ordering::SeqCst) >= 1, "{out}");
    assert!(out.contains("exceeds 1048576 bytes"), "the report names the size limit:\n{out}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "refused at the limit, not by the timeout"
    );
    // The server's writes fail once the CLI hangs up: it stopped early.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let sent = written.load(Ordering::SeqCst);
    assert!(sent >= 1024 * 1024, "the server sent more than the limit: {sent}");
    assert!(sent < 256 * 1024 * 1024, "the body was not read whole: {sent} bytes sent\n{out}");
}
