//! Which resolved addresses egress may reach: public unicast only, as
//! `faxbot_policy::address::check_resolved` decides, plus internal ranges an operator named
//! on purpose (an internal service plugins must reach; loopback in tests). Each such range
//! is the operator's explicit decision and is logged at start by the daemon.

use faxbot_policy::address::check_resolved;
use std::net::IpAddr;

/// An internal range the operator allows egress to reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InternalRange {
    network: IpAddr,
    prefix: u8,
}

/// A CIDR that does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not an address range like 10.1.2.0/24 or fd00::/64")]
pub struct CidrError(pub String);

impl InternalRange {
    /// Parses `a.b.c.d/n` or `x::y/n` (a bare address is a /32 or /128).
    pub fn parse(text: &str) -> Result<Self, CidrError> {
        let err = || CidrError(text.to_owned());
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse().map_err(|_| err())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u8>().map_err(|_| err())?,
            None => max,
        };
        if prefix > max {
            return Err(err());
        }
        Ok(Self { network, prefix })
    }

    /// Whether `address` lies in the range.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The address rule egress follows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Internal ranges allowed on top of public unicast.
    pub allowed_internal: Vec<InternalRange>,
}

impl AddressPolicy {
    /// `Ok` when egress may connect to `address`, else the address's class.
    pub fn check(&self, address: IpAddr) -> Result<(), String> {
        match check_resolved(address) {
            Ok(()) => Ok(()),
            Err(_) if self.allowed_internal.iter().any(|r| r.contains(address)) => Ok(()),
            Err(forbidden) => Err(forbidden.class.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_ranges_cover_only_their_addresses() {
        let range = InternalRange::parse("10.1.2.0/24").expect("range");
        assert!(range.contains("10.1.2.77".parse().expect("ip")));
        assert!(!range.contains("10.1.3.1".parse().expect("ip")));
        assert!(!range.contains("::ffff:10.1.2.77".parse().expect("ip")));
        assert!(InternalRange::parse("10.1.2.0/33").is_err());
        assert!(InternalRange::parse("example.com").is_err());
        let policy = AddressPolicy::default();
        assert!(policy.check("127.0.0.1".parse().expect("ip")).is_err());
        let loopback = AddressPolicy {
            allowed_internal: vec![InternalRange::parse("127.0.0.1").expect("range")],
        };
        assert!(loopback.check("127.0.0.1".parse().expect("ip")).is_ok());
        assert!(loopback.check("127.0.0.2".parse().expect("ip")).is_err());
        assert!(
            loopback
                .check("169.254.169.254".parse().expect("ip"))
                .is_err()
        );
    }
}
