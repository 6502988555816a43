//! Every bad input to the bidder API is refused with a clear error and
//! changes nothing; replicated components that disagree exclude the bid at
//! the close. Three real node processes on 127.0.0.1-3.
// Loops over the three nodes index several per-node arrays at once.
#![allow(clippy::needless_range_loop)]

mod common;

use auction::BidderId;
use auction::wire::{Receipt, Salt, ShareBundle, Version, prepare_submissions, sign_bundles};
use common::*;
use ed25519_dalek::SigningKey;
use rand::SeedableRng;
use serde_json::Value;

/// Versions held, as the operator's `status` shows them (the public status
/// hides the count while bidding is open).
async fn versions(c: &Cluster, i: usize) -> u64 {
    c.operator_status(i)["bids"]["versions"].as_u64().unwrap()
}

async fn refused(c: &Cluster, i: usize, body: Vec<u8>, status: u16, code: &str, says: &str) {
    let before = versions(c, i).await;
    let (s, v): (u16, Value) = c.post(i, body).await.unwrap();
    assert_eq!(s, status, "{v}");
    assert_eq!(v["code"], code, "{v}");
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains(says), "message {msg:?} should say {says:?}");
    assert_eq!(
        versions(c, i).await,
        before,
        "a refused bid changed the store"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_refused_and_change_nothing() {
    let k = 2;
    let mut c = Cluster::new(4, k);
    c.start_all();
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let alice = bidder_name(0);
    let bid = random_bid(alice.clone(), k, 1);
    let subs = prepare_submissions(&c.params, &bid, Version(2), c.key(&alice), &mut rng).unwrap();
    let auction_file: Value =
        serde_json::from_slice(&std::fs::read(&c.auction_path).unwrap()).unwrap();
    for i in 0..3 {
        let (s, v) = c.submit_to(i, &subs[i]).await.unwrap();
        assert_eq!(s, 200, "{v}");
        let r: Receipt = serde_json::from_value(v).unwrap();
        let key: auction::wire::PublicKey =
            serde_json::from_value(auction_file["nodes"][i]["public_key"].clone()).unwrap();
        assert!(r.verify(&key.0), "receipt of node {i} does not verify");
        assert_eq!((r.version, r.node.index()), (Version(2), i));
    }
    let ok = |s: &auction::wire::Submission| serde_json::to_vec(s).unwrap();

    refused(
        &c,
        0,
        b"{\"format\": 1, ".to_vec(),
        400,
        "malformed_json",
        "not a submission",
    )
    .await;
    // Just over the limit: a far larger body is cut off by the server's
    // close while the client still writes, so its reply can be lost.
    let over = nodes::api::body_limit(c.params.max_orders_per_side) as usize + 1024;
    refused(&c, 0, vec![b' '; over], 413, "body_too_large", "larger").await;

    let mut other = c.params.clone();
    other.id = "another-auction".into();
    let wrong = prepare_submissions(&other, &bid, Version(3), c.key(&alice), &mut rng).unwrap();
    refused(
        &c,
        0,
        ok(&wrong[0]),
        400,
        "wrong_auction",
        "another-auction",
    )
    .await;

    let mallory = BidderId("mallory".into());
    let stranger = prepare_submissions(
        &c.params,
        &random_bid(mallory, k, 2),
        Version(1),
        &SigningKey::from_bytes(&[9; 32]),
        &mut rng,
    )
    .unwrap();
    refused(&c, 0, ok(&stranger[0]), 403, "unknown_bidder", "mallory").await;
    // Ids of the wrong length are malformed, registered or not.
    for (id, says) in [("".to_string(), "got 0"), ("x".repeat(129), "got 129")] {
        let mut v = serde_json::to_value(&subs[0]).unwrap();
        v["bidder"] = id.into();
        let body = serde_json::to_vec(&v).unwrap();
        refused(&c, 0, body, 400, "bad_bidder_id", says).await;
    }
    // Hex has one spelling: lower case.
    let mut v = serde_json::to_value(&subs[0]).unwrap();
    v["signature"] = v["signature"].as_str().unwrap().to_uppercase().into();
    let body = serde_json::to_vec(&v).unwrap();
    refused(&c, 0, body, 400, "malformed_json", "upper-case digit").await;

    let forged = prepare_submissions(
        &c.params,
        &bid,
        Version(3),
        &SigningKey::from_bytes(&[9; 32]),
        &mut rng,
    )
    .unwrap();
    refused(&c, 0, ok(&forged[0]), 401, "bad_signature", "bidder-0000").await;

    let older = prepare_submissions(&c.params, &bid, Version(1), c.key(&alice), &mut rng).unwrap();
    refused(
        &c,
        0,
        ok(&older[0]),
        409,
        "stale_version",
        "version 1 of bidder bidder-0000 is not newer than the version 2",
    )
    .await;
    refused(&c, 1, ok(&subs[1]), 409, "stale_version", "not newer").await;

    let short = ShareBundle {
        own: vec![1; 4 * k as usize - 4],
        next: vec![2; 4 * k as usize - 4],
        salt: Salt([5; 32]),
    };
    let bundles = [short.clone(), short.clone(), short];
    let shaped = sign_bundles(&c.params.id, &alice, Version(4), bundles, c.key(&alice));
    refused(
        &c,
        0,
        ok(&shaped[0]),
        400,
        "bad_shape",
        "holds 4 values, expected 8",
    )
    .await;

    let mut tampered =
        prepare_submissions(&c.params, &bid, Version(5), c.key(&alice), &mut rng).unwrap();
    tampered[0].bundle.own[3] ^= 1;
    refused(
        &c,
        0,
        ok(&tampered[0]),
        400,
        "commitment_mismatch",
        "node 0",
    )
    .await;
    // The salt is bound too: the right components with another salt.
    let mut resalted =
        prepare_submissions(&c.params, &bid, Version(5), c.key(&alice), &mut rng).unwrap();
    resalted[2].bundle.salt.0[31] ^= 1;
    refused(
        &c,
        2,
        ok(&resalted[2]),
        400,
        "commitment_mismatch",
        "node 2",
    )
    .await;
    // A submission of the retired format 1 is refused, saying what to do.
    let mut old = serde_json::to_value(&subs[0]).unwrap();
    old["format"] = 1.into();
    let (status, v) = c.post(0, serde_json::to_vec(&old).unwrap()).await.unwrap();
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["code"], "unsupported_format", "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("update the bidder program"),
        "{v}"
    );

    refused(
        &c,
        0,
        ok(&tampered[1]),
        400,
        "wrong_node",
        "addressed to node 1",
    )
    .await;

    // Replicated components that disagree: node 1's copy of component 1
    // differs from node 0's. Each node alone cannot tell, so all accept.
    let bob = bidder_name(1);
    let honest = prepare_submissions(
        &c.params,
        &random_bid(bob.clone(), k, 3),
        Version(1),
        c.key(&bob),
        &mut rng,
    )
    .unwrap();
    let mut bundles: [ShareBundle; 3] = std::array::from_fn(|i| honest[i].bundle.clone());
    bundles[1].own[0] = bundles[1].own[0].wrapping_add(1);
    let bad = sign_bundles(&c.params.id, &bob, Version(1), bundles, c.key(&bob));
    for (i, sub) in bad.iter().enumerate() {
        let (s, v) = c.submit_to(i, sub).await.unwrap();
        assert_eq!(s, 200, "{v}");
    }
    // Carol reaches only two nodes: not in the set.
    let carol = bidder_name(2);
    let partial = prepare_submissions(
        &c.params,
        &random_bid(carol.clone(), k, 4),
        Version(1),
        c.key(&carol),
        &mut rng,
    )
    .unwrap();
    for (i, sub) in partial.iter().enumerate().take(2) {
        assert_eq!(c.submit_to(i, sub).await.unwrap().0, 200);
    }

    c.close(0);
    let late = prepare_submissions(&c.params, &bid, Version(9), c.key(&alice), &mut rng).unwrap();
    refused(&c, 0, ok(&late[0]), 409, "auction_closed", "closed").await;
    // The others follow the close.
    for i in 0..3 {
        let v = c
            .wait_status(i, 30, "agreed", |v| !v["agreed"].is_null())
            .await;
        assert_eq!(v["agreed"]["bids"], 2, "{v:#}");
        let excluded = v["agreed"]["excluded"].as_array().unwrap();
        assert_eq!(excluded.len(), 2, "{v:#}");
        assert_eq!(excluded[0]["bidder"], "bidder-0001");
        assert_eq!(
            excluded[0]["reason"],
            "replicated share component 1 differs between node 0 and node 1"
        );
        assert_eq!(excluded[1]["bidder"], "bidder-0002");
        assert!(
            excluded[1]["reason"]
                .as_str()
                .unwrap()
                .contains("not held by all three")
                || excluded[1]["reason"]
                    .as_str()
                    .unwrap()
                    .contains("no version held by all three")
        );
    }
    refused(&c, 2, ok(&late[2]), 409, "auction_closed", "closed").await;
    for (i, sub) in subs.iter().enumerate() {
        let log = c.log(i);
        assert!(
            !log.contains(&format!("{}", sub.bundle.own[0])),
            "node {i} logged a share value"
        );
    }
}
