//! See [`didam_fuzz::fuzzing::did_url`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &str| didam_fuzz::fuzzing::did_url(data));
