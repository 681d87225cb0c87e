//! Tests of the UDPGW frame codec: known bytes, every split point, proptests.

use super::*;
use proptest::prelude::*;

const MAX: usize = 3 + 18 + DEFAULT_UDP_MTU;

fn v4() -> SocketAddr {
    "10.1.2.3:53".parse().unwrap()
}

#[test]
fn an_ipv4_datagram_has_the_badvpn_layout() {
    let mut out = Vec::new();
    encode(DNS | REBIND, 0x0102, v4(), b"hi", &mut out).unwrap();
    assert_eq!(out, [11, 0, DNS | REBIND, 0x02, 0x01, 10, 1, 2, 3, 0, 53, b'h', b'i']);
    let Status::Complete(Request::Datagram(d), used) = decode(&out, MAX).unwrap() else { panic!() };
    assert_eq!(used, out.len());
    assert_eq!((d.conid, d.rebind, d.dns, d.dest, d.data), (0x0102, true, true, v4(), &b"hi"[..]));
}

#[test]
fn an_ipv6_datagram_carries_the_flag_and_sixteen_address_bytes() {
    let addr: SocketAddr = "[::1]:7".parse().unwrap();
    let mut out = Vec::new();
    encode(0, 9, addr, b"x", &mut out).unwrap();
    assert_eq!(out.len(), 2 + 3 + 18 + 1);
    assert_eq!(out[2], IPV6);
    assert_eq!(&out[5..21], &Ipv6Addr::LOCALHOST.octets());
    assert_eq!(&out[21..23], &[0, 7]);
    let Status::Complete(Request::Datagram(d), _) = decode(&out, MAX).unwrap() else { panic!() };
    assert_eq!((d.dest, d.data, d.rebind, d.dns), (addr, &b"x"[..], false, false));
}

#[test]
fn a_keepalive_needs_no_address_and_ignores_any() {
    let mut out = Vec::new();
    encode_keepalive(5, &mut out);
    assert_eq!(decode(&out, MAX).unwrap(), Status::Complete(Request::Keepalive { conid: 5 }, 5));
    out.clear();
    encode(KEEPALIVE, 6, v4(), b"ignored", &mut out).unwrap();
    assert_eq!(decode(&out, MAX).unwrap(), Status::Complete(Request::Keepalive { conid: 6 }, out.len()));
}

#[test]
fn every_split_point_is_partial_until_the_frame_is_whole() {
    let mut two = Vec::new();
    encode(0, 1, v4(), b"first", &mut two).unwrap();
    let first_len = two.len();
    encode(0, 2, "[2001:db8::1]:443".parse().unwrap(), b"second", &mut two).unwrap();
    for cut in 0..first_len {
        assert_eq!(decode(&two[..cut], MAX).unwrap(), Status::Partial, "cut at {cut}");
    }
    let Status::Complete(Request::Datagram(d), used) = decode(&two, MAX).unwrap() else { panic!() };
    assert_eq!((d.conid, d.data, used), (1, &b"first"[..], first_len));
    let rest = &two[used..];
    for cut in 0..rest.len() {
        assert_eq!(decode(&rest[..cut], MAX).unwrap(), Status::Partial, "second frame cut at {cut}");
    }
    let Status::Complete(Request::Datagram(d), used) = decode(rest, MAX).unwrap() else { panic!() };
    assert_eq!((d.conid, d.data, used), (2, &b"second"[..], rest.len()));
}

#[test]
fn an_oversize_length_is_refused_before_its_payload_arrives() {
    let len = 1500u16 + 1 + 21;
    let frame = len.to_le_bytes();
    assert_eq!(
        decode(&frame, max_payload(1500)),
        Err(FrameError::Oversize { len: usize::from(len), max: max_payload(1500) })
    );
    // One byte less is within the limit: it waits for the payload.
    assert_eq!(decode(&(len - 1).to_le_bytes(), max_payload(1500)), Ok(Status::Partial));
}

#[test]
fn garbage_frames_are_errors_not_panics() {
    let cases: [(&[u8], FrameError); 4] = [
        (&[0, 0], FrameError::Truncated { len: 0 }),
        (&[2, 0, 0, 1], FrameError::Truncated { len: 2 }),
        (&[5, 0, 0, 1, 0, 127, 0], FrameError::Truncated { len: 5 }),
        (&[3, 0, 0x80, 0, 0], FrameError::UnknownFlags(0x80)),
    ];
    for (bytes, error) in cases {
        assert_eq!(decode(bytes, MAX), Err(error), "{bytes:?}");
    }
    let short_v6 = [9, 0, IPV6, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(decode(&short_v6, MAX), Err(FrameError::Truncated { len: 9 }));
}

#[test]
fn a_frame_too_big_for_the_length_field_is_not_encoded() {
    let mut out = Vec::new();
    assert!(encode(0, 1, v4(), &vec![0; 65_535], &mut out).is_none());
    assert!(out.is_empty());
}

fn addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::from((ip, port))),
        (any::<[u8; 16]>(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::from((ip, port))),
    ]
}

proptest! {
    #[test]
    fn encode_then_decode_round_trips_at_any_split(
        conid: u16, rebind: bool, dns: bool, dest in addr(),
        data in proptest::collection::vec(any::<u8>(), 0..600), cut in 0usize..700,
    ) {
        let flags = if rebind { REBIND } else { 0 } | if dns { DNS } else { 0 };
        let mut out = Vec::new();
        encode(flags, conid, dest, &data, &mut out).unwrap();
        let cut = cut.min(out.len());
        if cut < out.len() {
            prop_assert_eq!(decode(&out[..cut], MAX).unwrap(), Status::Partial);
        }
        let expected = Request::Datagram(Datagram { conid, rebind, dns, dest, data: &data });
        prop_assert_eq!(decode(&out, MAX).unwrap(), Status::Complete(expected, out.len()));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_never_overrun(
        bytes in proptest::collection::vec(any::<u8>(), 0..200), max in 0usize..300,
    ) {
        if let Ok(Status::Complete(_, used)) = decode(&bytes, max) {
            prop_assert!(used <= bytes.len());
            prop_assert!(used - 2 <= max);
        }
    }
}
