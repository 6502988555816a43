#![no_main]
//! `triad_fuzz::peer_message`: see its doc and `fuzz/README.md`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| triad_fuzz::peer_message(data));
