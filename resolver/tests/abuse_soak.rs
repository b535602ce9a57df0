//! Issue 18, Deliver 6, the CI version of the abuse soak: a few seconds of
//! legitimate resolutions and verifications while every attack of the issue
//! comes from other loopback addresses (see `abuse/mod.rs`; the 60 s version
//! with figures is `benches/abuse_soak.rs`). The daemon must stay up, answer
//! every legitimate request as expected, and refuse every attack. Nothing
//! here is timed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod abuse;
mod common;

use std::time::Duration;

use abuse::{Legit, Mix};

#[tokio::test(flavor = "multi_thread")]
async fn r18_under_every_attack_the_daemon_stays_up_and_answers_every_legitimate_request() {
    let setup = abuse::setup("abuse-soak").await;
    let mix = Mix {
        duration: Duration::from_secs(6),
        legit_clients: 3,
        legit_interval: Duration::from_millis(100),
        hostile_per_attack: 1,
        flood_connections: 2,
    };
    let phase = abuse::run_phase(&setup.fixtures, &mix).await;
    let summary = phase.summary("abuse soak (CI)");
    println!("{summary}");

    assert!(phase.errors.is_empty(), "every legitimate request is answered as expected:\n{summary}");
    assert!(phase.health_failures.is_empty(), "the daemon answered /health throughout:\n{summary}");
    for kind in [Legit::DidKey, Legit::DidDidam, Legit::Verify] {
        assert!(phase.latencies.get(&kind).is_some_and(|l| !l.is_empty()), "{}: {summary}", kind.name());
    }
    for attack in &setup.fixtures.attacks {
        let answers: Vec<(&str, u64)> = phase
            .hostile
            .iter()
            .filter(|((name, _), _)| *name == attack.name)
            .map(|((_, status), n)| (status.as_str(), *n))
            .collect();
        for (status, _) in &answers {
            assert!(
                !status.starts_with('2') && *status != "500",
                "{}: no attack succeeds or breaks the daemon:\n{summary}",
                attack.name
            );
        }
        let refused = attack.refused_with.to_string();
        assert!(
            answers.iter().any(|(status, _)| *status == refused),
            "{} was refused with its {refused} at least once:\n{summary}",
            attack.name
        );
    }
    let flood: u64 =
        phase.hostile.iter().filter(|((name, _), _)| name.starts_with("flood")).map(|(_, n)| n).sum();
    assert!(flood > 0, "the flood was sent:\n{summary}");
    assert!(abuse::rss_mib(setup.daemon.pid()).is_some(), "the daemon is still running");
}
