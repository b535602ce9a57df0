//! See [`didam_fuzz::fuzzing::resolution_request`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| didam_fuzz::fuzzing::resolution_request(data));
