//! See [`didam_resolver::fuzzing::resolution_request`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| didam_resolver::fuzzing::resolution_request(data));
