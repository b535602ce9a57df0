//! See [`didam_fuzz::fuzzing::verify`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &str| didam_fuzz::fuzzing::verify(data));
