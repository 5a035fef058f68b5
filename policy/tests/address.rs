//! The resolved-address classifier: every address class the egress broker must refuse.

use faxbot_policy::address::{AddressClass, check_resolved, classify, embedded_v4};
use std::net::{IpAddr, Ipv4Addr};

fn class(s: &str) -> AddressClass {
    classify(s.parse::<IpAddr>().expect("ip"))
}

#[test]
fn public_addresses_pass() {
    for ip in [
        "8.8.8.8",
        "1.1.1.1",
        "151.101.1.69",
        "2606:4700:4700::1111",
        "2a00:1450:4001:82a::200e",
    ] {
        assert_eq!(class(ip), AddressClass::Public, "{ip}");
        assert!(check_resolved(ip.parse().expect("ip")).is_ok());
    }
}

#[test]
fn loopback_private_and_link_local_are_refused() {
    let cases = [
        ("127.0.0.1", AddressClass::Loopback),
        ("127.255.0.9", AddressClass::Loopback),
        ("::1", AddressClass::Loopback),
        ("10.1.2.3", AddressClass::Private),
        ("172.16.0.1", AddressClass::Private),
        ("172.31.255.255", AddressClass::Private),
        ("192.168.1.1", AddressClass::Private),
        ("169.254.1.1", AddressClass::LinkLocal),
        ("fe80::1", AddressClass::LinkLocal),
        ("100.64.0.1", AddressClass::SharedCgnat),
        ("100.127.255.255", AddressClass::SharedCgnat),
        ("0.0.0.0", AddressClass::Unspecified),
        ("0.1.2.3", AddressClass::Unspecified),
        ("::", AddressClass::Unspecified),
        ("fd12:3456::1", AddressClass::UniqueLocal),
        ("fc00::1", AddressClass::UniqueLocal),
        ("224.0.0.1", AddressClass::Multicast),
        ("ff02::1", AddressClass::Multicast),
        ("255.255.255.255", AddressClass::Broadcast),
        ("240.0.0.1", AddressClass::Reserved),
        ("192.0.2.1", AddressClass::Documentation),
        ("2001:db8::1", AddressClass::Documentation),
        ("198.18.0.1", AddressClass::Benchmarking),
        ("fec0::1", AddressClass::Reserved),
        ("100::1", AddressClass::Reserved),
    ];
    for (ip, want) in cases {
        assert_eq!(class(ip), want, "{ip}");
        assert!(check_resolved(ip.parse().expect("ip")).is_err(), "{ip}");
    }
    assert_eq!(class("172.32.0.1"), AddressClass::Public);
    assert_eq!(class("100.128.0.1"), AddressClass::Public);
}

#[test]
fn cloud_metadata_addresses_are_named_as_such() {
    assert_eq!(class("169.254.169.254"), AddressClass::Metadata);
    assert_eq!(class("fd00:ec2::254"), AddressClass::Metadata);
    assert_eq!(class("100.100.100.200"), AddressClass::Metadata);
    let e = check_resolved("169.254.169.254".parse().expect("ip")).expect_err("refused");
    assert!(e.to_string().contains("cloud metadata"), "{e}");
}

#[test]
fn ipv4_hidden_in_ipv6_forms_is_judged_by_the_ipv4_address() {
    let cases = [
        ("::ffff:127.0.0.1", AddressClass::Loopback),
        ("::ffff:169.254.169.254", AddressClass::Metadata),
        ("::ffff:10.0.0.1", AddressClass::Private),
        ("::127.0.0.1", AddressClass::Loopback),
        ("64:ff9b::10.0.0.1", AddressClass::Private),
        ("64:ff9b::7f00:1", AddressClass::Loopback),
        ("2002:7f00:1::", AddressClass::Loopback),
        ("2002:a9fe:a9fe::1", AddressClass::Metadata),
        // Teredo: client 127.0.0.1 stored inverted (0x80ff:fffe).
        (
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            AddressClass::Loopback,
        ),
    ];
    for (ip, want) in cases {
        assert_eq!(class(ip), want, "{ip}");
        let e = check_resolved(ip.parse().expect("ip")).expect_err("refused");
        assert!(e.embedded.is_some(), "{ip}: {e}");
    }
    assert_eq!(class("::ffff:8.8.8.8"), AddressClass::Public);
    assert_eq!(class("64:ff9b::8.8.8.8"), AddressClass::Public);
    assert_eq!(class("2002:808:808::1"), AddressClass::Public);
    assert_eq!(class("64:ff9b:1::8.8.8.8"), AddressClass::Reserved);
    assert_eq!(
        embedded_v4("::ffff:1.2.3.4".parse().expect("ip")),
        Some(Ipv4Addr::new(1, 2, 3, 4))
    );
}

#[test]
fn unallocated_ipv6_space_is_refused() {
    assert_eq!(class("4000::1"), AddressClass::Reserved);
    assert_eq!(class("::1:0:0:1"), AddressClass::Reserved);
}

#[test]
fn the_refusal_message_names_address_class_and_embedded_address() {
    let e = check_resolved("::ffff:127.0.0.1".parse().expect("ip")).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "resolved address ::ffff:127.0.0.1 is loopback (embeds 127.0.0.1); egress is refused"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv6Addr;

    proptest! {
        #[test]
        fn a_mapped_address_is_never_more_public_than_its_ipv4(a: u8, b: u8, c: u8, d: u8) {
            let v4 = Ipv4Addr::new(a, b, c, d);
            let mapped = IpAddr::V6(v4.to_ipv6_mapped());
            let nat64 = IpAddr::V6(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])));
            let inner_public = classify(IpAddr::V4(v4)).is_public();
            prop_assert_eq!(classify(mapped).is_public(), inner_public);
            prop_assert_eq!(classify(nat64).is_public(), inner_public);
        }

        #[test]
        fn std_loopback_private_and_link_local_are_never_public(a: u8, b: u8, c: u8, d: u8) {
            let v4 = Ipv4Addr::new(a, b, c, d);
            if v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_multicast()
                || v4.is_broadcast() || v4.is_unspecified() || v4.is_documentation() {
                prop_assert!(!classify(IpAddr::V4(v4)).is_public());
            }
        }
    }
}
