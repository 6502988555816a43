#![no_main]
//! `triad_fuzz::bid_file`: see its doc and `fuzz/README.md`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| triad_fuzz::bid_file(data));
