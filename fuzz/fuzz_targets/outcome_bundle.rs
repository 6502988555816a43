#![no_main]
//! `triad_fuzz::outcome_bundle`: see its doc and `fuzz/README.md`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| triad_fuzz::outcome_bundle(data));
