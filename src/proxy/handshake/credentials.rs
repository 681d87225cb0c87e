//! `Proxy-Authorization: Basic` credentials, decoded as leniently as payload apps need.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

pub(super) fn parse_basic(value: &str) -> Option<(String, String)> {
    let (scheme, token) = value.split_once([' ', '\t'])?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let text = String::from_utf8(decode_base64(token.trim())?).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

/// Standard alphabet, non-zero bits after the last byte ignored, no padding (we strip it).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Standard-alphabet base64 as payload apps send it: padding optional, and up to two `=`
/// accepted whatever the length (`YWJj=` too). The crate's `Indifferent` padding mode
/// refuses a pad where none is due, so the padding is stripped here and the body decoded
/// with padding forbidden; the length rule (never 1 mod 4) is then the crate's.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let body = text.trim_end_matches('=');
    if text.len() - body.len() > 2 {
        return None;
    }
    LENIENT.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The hand-written decoder this module used before the crate, kept as the reference
    /// the crate-based one must agree with.
    fn hand_written(text: &str) -> Option<Vec<u8>> {
        let body = text.trim_end_matches('=');
        if body.len() % 4 == 1 || text.len() - body.len() > 2 {
            return None;
        }
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0u32);
        for byte in body.bytes() {
            let sextet = match byte {
                b'A'..=b'Z' => byte - b'A',
                b'a'..=b'z' => byte - b'a' + 26,
                b'0'..=b'9' => byte - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            };
            acc = (acc << 6) | u32::from(sextet);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push(((acc >> bits) & 0xFF) as u8);
            }
        }
        Some(out)
    }

    proptest! {
        #[test]
        fn the_crate_decoder_agrees_with_the_hand_written_one(text in "[A-Za-z0-9+/=_ -]{0,14}") {
            prop_assert_eq!(decode_base64(&text), hand_written(&text));
        }
    }

    /// Today's leniency, pinned: what the decoder accepts and what it refuses.
    #[test]
    fn base64_accepts_and_refuses_what_it_always_has() {
        let cases: &[(&str, Option<&[u8]>)] = &[
            ("", Some(b"")),
            ("YWxpY2U6czNjcmV0", Some(b"alice:s3cret")),
            // Padding optional, and any amount up to two accepted.
            ("YQ==", Some(b"a")),
            ("YQ=", Some(b"a")),
            ("YQ", Some(b"a")),
            ("YWI=", Some(b"ab")),
            ("YWI", Some(b"ab")),
            ("YWI==", Some(b"ab")),
            ("YWJj=", Some(b"abc")),
            ("YWJj==", Some(b"abc")),
            ("YQ===", None),
            ("=", Some(b"")),
            ("==", Some(b"")),
            ("===", None),
            // Non-zero bits after the last byte are ignored ("YR" is not canonical).
            ("YR", Some(b"a")),
            ("YWJ", Some(b"ab")),
            // A length that cannot be base64.
            ("Y", None),
            ("YWJjZ", None),
            ("Y=", None),
            // Standard alphabet only: URL-safe characters are refused.
            ("-_8=", None),
            ("+/8=", Some(&[0xfb, 0xff])),
            // Whitespace inside and padding in the middle are refused; trimming is the caller's.
            ("YW Jj", None),
            ("YWJj\n", None),
            (" YWJj", None),
            ("YQ==YWJj", None),
            ("YQ=a", None),
            // Trailing garbage is refused.
            ("YWJj*", None),
            ("YWJj.", None),
            ("YWJjé", None),
        ];
        for (input, want) in cases {
            assert_eq!(decode_base64(input).as_deref(), *want, "input {input:?}");
        }
    }

    #[test]
    fn basic_trims_the_token_and_takes_any_scheme_case() {
        let ok = Some(("a".to_owned(), "b:c".to_owned()));
        assert_eq!(parse_basic("Basic YTpiOmM="), ok);
        assert_eq!(parse_basic("bAsIc \t YTpiOmM \t"), ok);
        assert_eq!(parse_basic("Basic\tYTpiOmM"), ok);
        assert_eq!(parse_basic("Bearer YTpiOmM="), None);
        assert_eq!(parse_basic("Basic"), None, "no token");
        assert_eq!(parse_basic("Basic YWJj"), None, "no colon");
        assert_eq!(parse_basic("Basic /w=="), None, "not UTF-8");
    }
}
