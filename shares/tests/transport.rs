//! A wrong tag, a short message, a truncated frame, a replayed message or
//! silence is an error, never a misread or a hang.

use shares::{MemTransport, NetTransport, PartyId, Tag, Transport, TransportError};
use std::time::{Duration, Instant};

fn p(i: usize) -> PartyId {
    PartyId::new(i).unwrap()
}

#[test]
fn unexpected_tag_is_an_error() {
    let [mut a, mut b, _c] = MemTransport::triple(Duration::from_secs(5));
    a.send(p(1), Tag::OPEN, &[1, 2, 3]).unwrap();
    match b.recv(p(0), Tag::MUL) {
        Err(TransportError::UnexpectedTag {
            from,
            expected,
            got,
        }) => {
            assert_eq!((from, expected, got), (p(0), Tag::MUL, Tag::OPEN));
        }
        other => panic!("expected a tag error, got {other:?}"),
    }
}

#[test]
fn short_message_is_an_error_in_a_protocol() {
    // Party 0 sends its opening component one element short.
    let ts = MemTransport::triple(Duration::from_secs(5));
    let res = std::thread::scope(|s| {
        let hs: Vec<_> = ts
            .into_iter()
            .map(|t| {
                s.spawn(move || {
                    let me = t.me();
                    let mut party = shares::Party::with_seed(t, 1);
                    if me.index() == 0 {
                        party
                            .transport_mut()
                            .send(p(1), Tag::OPEN, &[0u8; 8])
                            .unwrap();
                        // Stay connected while the others run.
                        std::thread::sleep(Duration::from_millis(500));
                        return None;
                    }
                    let x = shares::ArithShares::zeros(2);
                    Some(party.open_arith("test", &x))
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    match &res[1] {
        Some(Err(shares::Error::Transport(TransportError::WrongLength {
            expected: 16,
            got: 8,
            ..
        }))) => {}
        other => panic!("expected a length error at party 1, got {other:?}"),
    }
}

#[test]
fn truncated_frame_is_an_error() {
    let [mut a, mut b, _c] = MemTransport::triple(Duration::from_secs(5));
    a.send_raw(p(1), vec![2, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    assert!(matches!(
        b.recv(p(0), Tag::MUL),
        Err(TransportError::Truncated { .. })
    ));
    // A header announcing more payload than present.
    let [mut a, mut b, _c] = MemTransport::triple(Duration::from_secs(5));
    let mut f = Vec::new();
    f.extend_from_slice(&2u32.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes());
    f.extend_from_slice(&100u64.to_le_bytes());
    f.extend_from_slice(&[0; 10]);
    a.send_raw(p(1), f).unwrap();
    assert!(matches!(
        b.recv(p(0), Tag::MUL),
        Err(TransportError::Truncated {
            got: 30,
            needed: 120,
            ..
        })
    ));
}

#[test]
fn replayed_message_is_an_error() {
    let [mut a, mut b, _c] = MemTransport::triple(Duration::from_secs(5));
    let mut f = Vec::new();
    f.extend_from_slice(&2u32.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes());
    a.send_raw(p(1), f.clone()).unwrap();
    a.send_raw(p(1), f).unwrap();
    b.recv(p(0), Tag::MUL).unwrap();
    assert!(matches!(
        b.recv(p(0), Tag::MUL),
        Err(TransportError::Sequence {
            expected: 1,
            got: 0,
            ..
        })
    ));
}

#[test]
fn silence_times_out() {
    let [_a, mut b, _c] = MemTransport::triple(Duration::from_millis(100));
    let t0 = Instant::now();
    assert!(matches!(
        b.recv(p(0), Tag::MUL),
        Err(TransportError::Timeout { .. })
    ));
    assert!(t0.elapsed() < Duration::from_secs(5));
}

fn net_pair(
    timeout: Duration,
) -> (
    tokio::runtime::Runtime,
    NetTransport,
    tokio::io::DuplexStream,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (to_next, peer_next) = tokio::io::duplex(1 << 16);
    let (to_prev, _peer_prev) = tokio::io::duplex(1 << 16);
    std::mem::forget(_peer_prev);
    let t = NetTransport::from_streams(p(0), to_next, to_prev, rt.handle().clone(), timeout);
    (rt, t, peer_next)
}

#[test]
fn net_transport_truncated_stream_and_timeout() {
    use tokio::io::AsyncWriteExt;
    let (rt, mut t, mut peer) = net_pair(Duration::from_millis(300));
    // Silence: timeout.
    assert!(matches!(
        t.recv(p(1), Tag::MUL),
        Err(TransportError::Timeout { .. })
    ));
    // A header promising 100 bytes, 10 bytes, then the stream closes.
    rt.block_on(async {
        let mut f = Vec::new();
        f.extend_from_slice(&2u32.to_le_bytes());
        f.extend_from_slice(&0u64.to_le_bytes());
        f.extend_from_slice(&100u64.to_le_bytes());
        f.extend_from_slice(&[0; 10]);
        peer.write_all(&f).await.unwrap();
        peer.shutdown().await.unwrap();
    });
    assert!(matches!(
        t.recv(p(1), Tag::MUL),
        Err(TransportError::Truncated {
            got: 30,
            needed: 120,
            ..
        })
    ));
}

#[test]
fn net_transport_round_trip_and_wrong_tag() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (s01, s10) = tokio::io::duplex(1 << 10);
    let (s02, s20) = tokio::io::duplex(1 << 10);
    let h = rt.handle().clone();
    let mut t0 = NetTransport::from_streams(p(0), s01, s02, h.clone(), Duration::from_secs(5));
    let mut t1 = NetTransport::from_streams(
        p(1),
        tokio::io::duplex(8).0,
        s10,
        h.clone(),
        Duration::from_secs(5),
    );
    let _t2 =
        NetTransport::from_streams(p(2), s20, tokio::io::duplex(8).0, h, Duration::from_secs(5));
    let big = vec![7u8; 1 << 20];
    t0.send(p(1), Tag::SHUFFLE, &big).unwrap();
    t0.send(p(1), Tag::OPEN, &[1]).unwrap();
    assert_eq!(t1.recv(p(0), Tag::SHUFFLE).unwrap(), big);
    assert!(matches!(
        t1.recv(p(0), Tag::MUL),
        Err(TransportError::UnexpectedTag { .. })
    ));
    let s = t0.stats();
    assert_eq!(s.messages_sent, 2);
    assert_eq!(s.bytes_sent, (20 + (1 << 20) + 20 + 1) as u64);
}

#[test]
fn setup_over_tcp_agrees_keys() {
    let addrs: Vec<std::net::SocketAddr> = (0..3)
        .map(|_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
        })
        .collect();
    let addrs: [std::net::SocketAddr; 3] = addrs.try_into().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let values = [5u64, 1 << 40, u64::MAX];
    let b = shares::client::share_arith(&values, &mut rand::rngs::OsRng);
    let out: Vec<Vec<u64>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..3)
            .map(|i| {
                let h = rt.handle().clone();
                let b = &b;
                s.spawn(move || {
                    let t =
                        NetTransport::connect_tcp(p(i), addrs, h, Duration::from_secs(10)).unwrap();
                    let mut party = shares::Party::setup(t, &mut rand::rngs::OsRng).unwrap();
                    let x = b[i].clone().into_shares();
                    let y = shares::mul::mul(&mut party, &x, &x).unwrap();
                    let r = party.open_arith("test", &y).unwrap();
                    party.into_transport().close().unwrap();
                    r
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let want: Vec<u64> = values.iter().map(|v| v.wrapping_mul(*v)).collect();
    for o in out {
        assert_eq!(o, want);
    }
}

/// Public keys of small order on Curve25519 (the points 0 and 1, and one of
/// order 8): a Diffie-Hellman with any of them is all zeros.
const LOW_ORDER: [[u8; 32]; 3] = [
    [0; 32],
    {
        let mut one = [0u8; 32];
        one[0] = 1;
        one
    },
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ],
];

#[test]
fn setup_rejects_a_low_order_public_key_and_names_the_peer() {
    // The Curve25519 base point: a public key of large order.
    let mut good = [0u8; 32];
    good[0] = 9;
    for bad in LOW_ORDER {
        for liar in [1, 2] {
            let [t0, mut t1, mut t2] = MemTransport::triple(Duration::from_secs(5));
            let (k1, k2) = if liar == 1 { (bad, good) } else { (good, bad) };
            t1.send(p(0), Tag::SETUP, &k1).unwrap();
            t2.send(p(0), Tag::SETUP, &k2).unwrap();
            match shares::Party::setup(t0, &mut rand::rngs::OsRng) {
                Err(shares::Error::LowOrderKey { peer }) => assert_eq!(peer, p(liar)),
                other => {
                    panic!("expected a low-order key error naming party {liar}, got {other:?}")
                }
            }
        }
    }
    // The same exchange with large-order keys succeeds.
    let [t0, mut t1, mut t2] = MemTransport::triple(Duration::from_secs(5));
    t1.send(p(0), Tag::SETUP, &good).unwrap();
    t2.send(p(0), Tag::SETUP, &good).unwrap();
    assert!(shares::Party::setup(t0, &mut rand::rngs::OsRng).is_ok());
}
