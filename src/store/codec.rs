//! The one place values meet bincode. Every stored value is `[version byte][bincode body]`;
//! a record type decodes every version it has ever written and encodes only the newest.
//! The bincode configuration below is part of the file format: never change it. No I/O.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Fixed forever: little-endian, varint integers (bincode 2's `standard()`).
fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("empty value")]
    Empty,
    #[error("{record} version {version} is newer than this release understands")]
    UnknownVersion { record: &'static str, version: u8 },
    #[error("corrupt {record} value: {detail}")]
    Corrupt { record: &'static str, detail: String },
}

/// A value stored in redb. `decode` must keep accepting every version ever written.
pub trait Record: Sized {
    const NAME: &'static str;
    /// The version `encode` writes.
    const VERSION: u8;
    fn encode(&self) -> Vec<u8>;
    fn decode(bytes: &[u8]) -> Result<Self, CodecError>;
}

/// `[version][body]` for the current version of a record.
pub fn encode_versioned<T: Serialize>(version: u8, value: &T) -> Vec<u8> {
    let mut out = vec![version];
    // Encoding plain structs of strings and integers into a Vec cannot fail.
    let body = bincode::serde::encode_to_vec(value, config()).expect("bincode encode to Vec");
    out.extend_from_slice(&body);
    out
}

/// Splits off the version byte.
pub fn split_version(bytes: &[u8]) -> Result<(u8, &[u8]), CodecError> {
    bytes.split_first().map(|(v, body)| (*v, body)).ok_or(CodecError::Empty)
}

/// Decodes one body and insists that it used every byte (trailing bytes mean corruption).
pub fn decode_body<T: DeserializeOwned>(record: &'static str, body: &[u8]) -> Result<T, CodecError> {
    let corrupt = |detail: String| CodecError::Corrupt { record, detail };
    let (value, used) =
        bincode::serde::decode_from_slice(body, config()).map_err(|e| corrupt(e.to_string()))?;
    if used != body.len() {
        return Err(corrupt(format!("{} trailing bytes", body.len() - used)));
    }
    Ok(value)
}

/// For record types that have only ever had one version.
pub fn decode_single_version<T: DeserializeOwned>(
    record: &'static str,
    current: u8,
    bytes: &[u8],
) -> Result<T, CodecError> {
    match split_version(bytes)? {
        (v, body) if v == current => decode_body(record, body),
        (version, _) => Err(CodecError::UnknownVersion { record, version }),
    }
}

/// Implements `Record` for a type with a single version so far. When a second version
/// arrives, replace the macro use with a hand-written `decode` that maps old to new.
macro_rules! single_version_record {
    ($ty:ty, $name:literal, $version:literal) => {
        impl $crate::store::codec::Record for $ty {
            const NAME: &'static str = $name;
            const VERSION: u8 = $version;
            fn encode(&self) -> Vec<u8> {
                $crate::store::codec::encode_versioned(Self::VERSION, self)
            }
            fn decode(bytes: &[u8]) -> Result<Self, $crate::store::codec::CodecError> {
                $crate::store::codec::decode_single_version(Self::NAME, Self::VERSION, bytes)
            }
        }
    };
}
pub(crate) use single_version_record;

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        name: String,
        n: u64,
    }
    single_version_record!(Sample, "sample", 1);

    #[test]
    fn values_round_trip_with_a_version_byte_in_front() {
        let s = Sample { name: "a".into(), n: 300 };
        let bytes = s.encode();
        assert_eq!(bytes[0], 1);
        assert_eq!(Sample::decode(&bytes).unwrap(), s);
    }

    #[test]
    fn damaged_values_are_errors_not_panics() {
        let bytes = Sample { name: "abc".into(), n: 7 }.encode();
        assert!(matches!(Sample::decode(&[]), Err(CodecError::Empty)));
        assert!(matches!(Sample::decode(&[9, 0]), Err(CodecError::UnknownVersion { version: 9, .. })));
        for cut in 1..bytes.len() {
            assert!(Sample::decode(&bytes[..cut]).is_err(), "truncated at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Sample::decode(&longer).is_err());
    }
}
