//! Classifying a resolved IP address before the egress broker connects to it.
//!
//! The broker resolves a granted host, then asks [`check_resolved`] about every address
//! before connecting (and pins the address it checked). Anything that is not a plain
//! public unicast address is refused, including IPv4 addresses hidden inside IPv6 forms
//! (mapped, compatible, NAT64, 6to4, Teredo), so a DNS answer cannot steer a plugin's
//! request to the host itself, the local network or a cloud metadata service.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of address an IP is, for egress purposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressClass {
    /// Public unicast: the only class egress may reach.
    Public,
    /// 0.0.0.0/8, `::`.
    Unspecified,
    /// 127.0.0.0/8, `::1`.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16.
    Private,
    /// 100.64.0.0/10 (carrier-grade NAT).
    SharedCgnat,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// 169.254.169.254, fd00:ec2::254, 100.100.100.200 (cloud instance metadata).
    Metadata,
    /// fc00::/7.
    UniqueLocal,
    /// 224/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// 198.18/15.
    Benchmarking,
    /// 240/4, 192.0.0/24, 192.88.99/24, fec0::/10, 100::/64 and other special-purpose ranges.
    Reserved,
}

impl AddressClass {
    /// Whether egress may connect to an address of this class.
    pub fn is_public(self) -> bool {
        self == AddressClass::Public
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressClass::Public => "public",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::SharedCgnat => "shared (CGNAT)",
            AddressClass::LinkLocal => "link-local",
            AddressClass::Metadata => "cloud metadata",
            AddressClass::UniqueLocal => "unique-local",
            AddressClass::Multicast => "multicast",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Documentation => "documentation",
            AddressClass::Benchmarking => "benchmarking",
            AddressClass::Reserved => "reserved",
        })
    }
}

/// A resolved address egress must not reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("resolved address {address} is {class}{}; egress is refused", embedded_note(*.embedded))]
pub struct ForbiddenAddress {
    /// The address as resolved.
    pub address: IpAddr,
    /// Its class (of the embedded IPv4 address, when there is one).
    pub class: AddressClass,
    /// The IPv4 address hidden inside an IPv6 form, when that decided the class.
    pub embedded: Option<Ipv4Addr>,
}

fn embedded_note(e: Option<Ipv4Addr>) -> String {
    e.map(|v4| format!(" (embeds {v4})")).unwrap_or_default()
}

/// Refuses every address that is not public unicast.
pub fn check_resolved(address: IpAddr) -> Result<(), ForbiddenAddress> {
    let (class, embedded) = classify_with_embedded(address);
    if class.is_public() {
        Ok(())
    } else {
        Err(ForbiddenAddress {
            address,
            class,
            embedded,
        })
    }
}

/// The class of an address; for IPv6 forms that embed an IPv4 address, the worse of the
/// two classes.
pub fn classify(address: IpAddr) -> AddressClass {
    classify_with_embedded(address).0
}

fn classify_with_embedded(address: IpAddr) -> (AddressClass, Option<Ipv4Addr>) {
    match address {
        IpAddr::V4(v4) => (classify_v4(v4), None),
        IpAddr::V6(v6) => {
            let own = classify_v6(v6);
            match embedded_v4(v6) {
                Some(v4) => {
                    let inner = classify_v4(v4);
                    if !own.is_public() {
                        (own, None)
                    } else if !inner.is_public() {
                        (inner, Some(v4))
                    } else {
                        (AddressClass::Public, None)
                    }
                }
                None => (own, None),
            }
        }
    }
}

/// Classifies an IPv4 address.
pub fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, d] = ip.octets();
    match (a, b, c, d) {
        (169, 254, 169, 254) | (100, 100, 100, 200) => AddressClass::Metadata,
        (0, ..) => AddressClass::Unspecified,
        (127, ..) => AddressClass::Loopback,
        (10, ..) | (192, 168, ..) => AddressClass::Private,
        (172, b, ..) if (16..=31).contains(&b) => AddressClass::Private,
        (100, b, ..) if (64..=127).contains(&b) => AddressClass::SharedCgnat,
        (169, 254, ..) => AddressClass::LinkLocal,
        (255, 255, 255, 255) => AddressClass::Broadcast,
        (a, ..) if (224..=239).contains(&a) => AddressClass::Multicast,
        (a, ..) if a >= 240 => AddressClass::Reserved,
        (192, 0, 2, _) | (198, 51, 100, _) | (203, 0, 113, _) => AddressClass::Documentation,
        (198, b, ..) if b == 18 || b == 19 => AddressClass::Benchmarking,
        (192, 0, 0, _) | (192, 88, 99, _) => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

/// Classifies an IPv6 address by its own prefix (embedded IPv4 is handled by [`classify`]).
pub fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let s = ip.segments();
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return AddressClass::Metadata;
    }
    if ip.is_unspecified() {
        return AddressClass::Unspecified;
    }
    if ip.is_loopback() {
        return AddressClass::Loopback;
    }
    match s[0] {
        x if x & 0xff00 == 0xff00 => return AddressClass::Multicast,
        x if x & 0xffc0 == 0xfe80 => return AddressClass::LinkLocal,
        x if x & 0xffc0 == 0xfec0 => return AddressClass::Reserved,
        x if x & 0xfe00 == 0xfc00 => return AddressClass::UniqueLocal,
        _ => {}
    }
    if s[0] == 0x2001 && s[1] == 0x0db8 || s[0] & 0xfff0 == 0x3ff0 {
        return AddressClass::Documentation;
    }
    if s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0 {
        return AddressClass::Reserved;
    }
    // 2001::/23 is IETF special-purpose space; Teredo (2001::/32) is judged by its
    // embedded client address in `embedded_v4`.
    if s[0] == 0x2001 && s[1] < 0x0200 && s[1] != 0 {
        return AddressClass::Reserved;
    }
    // Only 2000::/3 is allocated global unicast; NAT64 (64:ff9b::/96, 64:ff9b:1::/48) and
    // the IPv4-mapped/compatible forms below it are judged by their embedded address.
    let nat64 = s[0] == 0x0064 && s[1] == 0xff9b;
    if nat64 && s[2..6] != [0, 0, 0, 0] {
        // 64:ff9b:1::/48 is for local-use translators: never a public destination.
        return AddressClass::Reserved;
    }
    let v4_forms = s[..5] == [0, 0, 0, 0, 0];
    if s[0] & 0xe000 != 0x2000 && !nat64 && !v4_forms {
        return AddressClass::Reserved;
    }
    if v4_forms && s[5] != 0xffff && s[5] != 0 {
        return AddressClass::Reserved;
    }
    AddressClass::Public
}

/// The IPv4 address an IPv6 address carries: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::/96`), 6to4 (`2002::/16`) and Teredo
/// (`2001::/32`, client address inverted in the last 32 bits).
pub fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let o = ip.octets();
    let last32 = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if s[..5] == [0, 0, 0, 0, 0] && (s[5] == 0xffff || s[5] == 0) {
        return Some(last32);
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(last32);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    if s[0] == 0x2001 && s[1] == 0 {
        return Some(Ipv4Addr::new(!o[12], !o[13], !o[14], !o[15]));
    }
    None
}
