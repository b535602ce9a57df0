//! See [`didam_resolver::fuzzing::did`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &str| didam_resolver::fuzzing::did(data));
