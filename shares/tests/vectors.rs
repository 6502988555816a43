//! The share-bundle format against known-answer vectors computed
//! independently (tests/vectors/sharing.txt).

use shares::client::{PartyBundle, reconstruct_arith, share_arith_with};

fn nums(s: &str) -> Vec<u64> {
    if s.trim().is_empty() {
        Vec::new()
    } else {
        s.split(',').map(|x| x.trim().parse().unwrap()).collect()
    }
}

#[test]
fn bundles_match_known_answers() {
    let text = include_str!("vectors/sharing.txt");
    let mut cases = 0;
    for block in text.split("case: ").skip(1) {
        let field = |k: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k}: ")))
                .map(str::to_string)
                .or_else(|| {
                    block
                        .lines()
                        .find(|l| *l == format!("{k}:"))
                        .map(|_| String::new())
                })
                .unwrap()
        };
        let (values, x0, x1) = (
            nums(&field("values")),
            nums(&field("x0")),
            nums(&field("x1")),
        );
        let bundles = share_arith_with(&values, &x0, &x1);
        for (i, b) in bundles.iter().enumerate() {
            let want = hex_decode(&field(&format!("bundle{i}")));
            assert_eq!(
                b.to_bytes(),
                want,
                "bundle {i} of case {}",
                block.lines().next().unwrap()
            );
            assert_eq!(&PartyBundle::from_bytes(&want).unwrap(), b);
        }
        let s: Vec<_> = bundles.iter().map(|b| b.clone().into_shares()).collect();
        assert_eq!(reconstruct_arith([&s[0], &s[1], &s[2]]), values);
        cases += 1;
    }
    assert_eq!(cases, 4);
}

#[test]
fn malformed_bundles_are_named() {
    let good = share_arith_with(&[1, 2], &[3, 4], &[5, 6])[1].to_bytes();
    let e = PartyBundle::from_bytes(&good[..good.len() - 1])
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected 38"), "{e}");
    let mut v = good.clone();
    v[0] = 9;
    assert!(
        PartyBundle::from_bytes(&v)
            .unwrap_err()
            .to_string()
            .contains("version 9")
    );
    let mut v = good;
    v[1] = 3;
    assert!(
        PartyBundle::from_bytes(&v)
            .unwrap_err()
            .to_string()
            .contains("party index 3")
    );
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
