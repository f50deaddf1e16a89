//! The tie-break hash: a fixed, documented function of the seed and the names.
//!
//! A library RNG is not used because its stream may change between versions (TOOLCHAIN.md,
//! pitfall 12); this function is written out here and in `docs/planner.md` so anyone can
//! recompute a tie-break by hand.
//!
//! `tie_key(seed, parts)` = fmix64(FNV-1a-64(bytes)), where `bytes` is the seed as 8 bytes
//! little-endian followed, for each part, by one 0x1F byte and the part's UTF-8 bytes.
//! FNV-1a 64 starts from 0xcbf29ce484222325 and, for each byte, XORs it in and multiplies by
//! 0x100000001b3 (wrapping). fmix64 is MurmurHash3's finaliser. A smaller key wins a tie.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a_update(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// MurmurHash3's 64-bit finaliser: spreads every input bit over the whole key, so that names
/// differing only in their last byte are not ordered alike.
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// The tie-break key of a street (`[street name]`) or a community
/// (`[street name, community name]`) under `seed`.
pub(crate) fn tie_key(seed: u64, parts: &[&str]) -> u64 {
    let mut h = fnv1a_update(FNV_OFFSET, &seed.to_le_bytes());
    for part in parts {
        h = fnv1a_update(h, &[0x1f]);
        h = fnv1a_update(h, part.as_bytes());
    }
    fmix64(h)
}

/// Plain FNV-1a 64 of some bytes (used for identifiers that must not depend on a seed).
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a_update(FNV_OFFSET, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_reference_vectors() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn tie_key_is_pinned() {
        // Pinned so that a change to the function (which would change every plan) is noticed.
        // The same values are quoted in docs/planner.md.
        assert_eq!(tie_key(2026, &["洪桥街道"]), tie_key(2026, &["洪桥街道"]));
        assert_ne!(tie_key(2026, &["洪桥街道"]), tie_key(2027, &["洪桥街道"]));
        assert_ne!(tie_key(2026, &["a", "bc"]), tie_key(2026, &["ab", "c"]));
        assert_eq!(
            format!("{:016x}", tie_key(2026, &["洪桥街道"])),
            PINNED_STREET
        );
        assert_eq!(
            format!("{:016x}", tie_key(2026, &["洪桥街道", "三眼井社区"])),
            PINNED_COMMUNITY
        );
    }

    const PINNED_STREET: &str = "73c88a7599eba711";
    const PINNED_COMMUNITY: &str = "27d6064cd4e5caac";
}
