//! See [`didam_fuzz::fuzzing::jws`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &str| didam_fuzz::fuzzing::jws(data));
