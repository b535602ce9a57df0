//! See [`didam_resolver::fuzzing::did_url`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &str| didam_resolver::fuzzing::did_url(data));
