//! Known-answer vectors of the wire formats (`auction/docs/wire.md`), so a
//! browser page or another client can check its encoding byte for byte.
//! `WIRE_VECTORS_WRITE=1` rewrites the file after a deliberate format change.
//! (`vectors/wire-v1.json` keeps the retired format 1, whose unsalted
//! digests `nodes/tests/secrecy_attack.rs` shows to be searchable.)

use auction::BidderId;
use auction::wire::{Salt, ShareBundle, Version, bid_message, component_bytes, sign_bundles};
use ed25519_dalek::SigningKey;

fn vectors() -> serde_json::Value {
    let key = SigningKey::from_bytes(&[0x11; 32]);
    let bidder = BidderId("farmer-0001".into());
    // K = 1: buy price 700, buy quantity 100, sell price 0, sell quantity 0,
    // split with fixed components x0, x1 and fixed salts (never do this in a
    // client: they must be uniformly random and fresh).
    let x: [u64; 4] = [700, 100, 0, 0];
    let x0: Vec<u64> = vec![1, 2, 3, 4];
    let x1: Vec<u64> = vec![u64::MAX, 1 << 63, 5, 6];
    let x2: Vec<u64> = (0..4)
        .map(|j| x[j].wrapping_sub(x0[j]).wrapping_sub(x1[j]))
        .collect();
    let comps = [x0, x1, x2];
    let salts: [[u8; 32]; 3] = std::array::from_fn(|i| [0xa0 + i as u8; 32]);
    let bundles: [ShareBundle; 3] = std::array::from_fn(|i| ShareBundle {
        own: comps[i].clone(),
        next: comps[(i + 1) % 3].clone(),
        salt: Salt(salts[i]),
    });
    let subs = sign_bundles("beet-2008", &bidder, Version(3), bundles, &key);
    serde_json::json!({
        "bidder_secret_key": hex::encode(key.to_bytes()),
        "bidder_public_key": hex::encode(key.verifying_key().to_bytes()),
        "auction": "beet-2008",
        "bidder": bidder,
        "version": 3,
        "values": x,
        "components_hex": comps.iter().map(|c| hex::encode(component_bytes(c))).collect::<Vec<_>>(),
        "salts": salts.iter().map(hex::encode).collect::<Vec<_>>(),
        "commitments": subs[0].commitments,
        "bid_message_hex": hex::encode(bid_message("beet-2008", &bidder, Version(3), &subs[0].commitments)),
        "signature": subs[0].signature,
        "submissions": subs,
    })
}

#[test]
fn wire_vectors_match_the_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/wire.json");
    let v = vectors();
    if std::env::var_os("WIRE_VECTORS_WRITE").is_some() {
        std::fs::write(path, serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
    }
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(file, v);
}
