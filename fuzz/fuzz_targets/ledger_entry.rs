//! See [`didam_fuzz::fuzzing::ledger_entry`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &str| didam_fuzz::fuzzing::ledger_entry(data));
