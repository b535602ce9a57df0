//! See [`didam_fuzz::fuzzing::sd_jwt`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &str| didam_fuzz::fuzzing::sd_jwt(data));
