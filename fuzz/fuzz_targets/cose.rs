//! See [`didam_fuzz::fuzzing::cose`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| didam_fuzz::fuzzing::cose(data));
