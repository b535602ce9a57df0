//! See [`didam_fuzz::fuzzing::verify_input`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| didam_fuzz::fuzzing::verify_input(data));
