//! Global settings (`settings` table, one record under `GLOBAL`): the fuse threshold and the
//! public address customers connect to (v2).

use super::codec::{self, CodecError};
use super::{Record, StoreError, tables::SETTINGS};
use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};

pub const GLOBAL: &str = "global";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// A user whose summed speed reaches this is fused; 0 = off.
    pub fuse_threshold_kbps: u32,
    /// Where customers reach this server (v2; v1 records read as "not configured").
    pub public: PublicAddress,
}

/// The address written into connection cards, payloads and QR codes. It is not the panel's
/// address: the panel may be reached through a tunnel, a LAN address or 127.0.0.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAddress {
    /// DNS name or IP literal; empty = not configured yet.
    pub host: String,
    /// TLS server name for the 443/444 doors; empty = the host.
    pub sni: String,
    pub wss_port: u16,
    pub wss_tls_port: u16,
    pub stunnel_port: u16,
    pub udpgw_port: u16,
}

impl Default for PublicAddress {
    /// The installer's default doors; the UDPGW port is badvpn's usual one.
    fn default() -> Self {
        PublicAddress {
            host: String::new(),
            sni: String::new(),
            wss_port: 80,
            wss_tls_port: 443,
            stunnel_port: 444,
            udpgw_port: 7300,
        }
    }
}

/// The first release's record, frozen (migrations-free.md rule 4).
#[derive(Deserialize)]
struct SettingsV1 {
    fuse_threshold_kbps: u32,
}

impl Record for Settings {
    const NAME: &'static str = "settings";
    const VERSION: u8 = 2;
    fn encode(&self) -> Vec<u8> {
        codec::encode_versioned(Self::VERSION, self)
    }
    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        match codec::split_version(bytes)? {
            (1, body) => codec::decode_body::<SettingsV1>(Self::NAME, body).map(|v1| Settings {
                fuse_threshold_kbps: v1.fuse_threshold_kbps,
                public: PublicAddress::default(),
            }),
            (2, body) => codec::decode_body(Self::NAME, body),
            (version, _) => Err(CodecError::UnknownVersion { record: Self::NAME, version }),
        }
    }
}

pub fn get(table: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<Settings, StoreError> {
    match table.get(GLOBAL)? {
        Some(v) => Ok(Settings::decode(v.value())?),
        None => Ok(Settings::default()),
    }
}

pub fn put(table: &mut Table<&str, &[u8]>, settings: &Settings) -> Result<(), StoreError> {
    table.insert(GLOBAL, settings.encode().as_slice())?;
    Ok(())
}

/// Opens the table in `txn` and reads the settings.
pub fn read(txn: &redb::ReadTransaction) -> Result<Settings, StoreError> {
    get(&txn.open_table(SETTINGS)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v1_record_reads_with_the_public_address_unset() {
        let v1 = codec::encode_versioned(1, &(7u32,));
        let s = Settings::decode(&v1).unwrap();
        assert_eq!(s, Settings { fuse_threshold_kbps: 7, public: PublicAddress::default() });
        let v2 = Settings { public: PublicAddress { host: "h".into(), ..Default::default() }, ..s };
        assert_eq!(Settings::decode(&v2.encode()).unwrap(), v2);
        assert_eq!(v2.encode()[0], 2);
    }
}
