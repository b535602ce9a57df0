//! Our Multikey prefixes against the multicodec table in
//! `../shared/vectors/multiformats/multicodec/table.csv`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use didam_credential::{KeyType, SecretKey};

fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[test]
fn multikey_prefixes_are_the_registered_multicodecs() {
    let table =
        std::fs::read_to_string(common::shared().join("vectors/multiformats/multicodec/table.csv")).unwrap();
    let code = |name: &str| -> u64 {
        let row = table.lines().find(|l| l.split(',').next().map(str::trim) == Some(name)).expect(name);
        let hex = row.split(',').nth(2).unwrap().trim().trim_start_matches("0x");
        u64::from_str_radix(hex, 16).unwrap()
    };
    for key_type in KeyType::ALL {
        let (public_name, secret_name) = key_type.multicodec_names();
        let secret = SecretKey::generate(key_type);
        let (_, public_bytes) = multibase::decode(secret.public_key().to_multikey()).unwrap();
        assert!(public_bytes.starts_with(&varint(code(public_name))), "{public_name}");
        let (_, secret_bytes) = multibase::decode(&*secret.to_multibase()).unwrap();
        assert!(secret_bytes.starts_with(&varint(code(secret_name))), "{secret_name}");
    }
}
