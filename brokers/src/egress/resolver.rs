//! Name resolution the broker controls: it resolves the name itself, checks every address
//! the answer holds, and hands the HTTP client only checked addresses to connect to, so the
//! connection goes to an address that was checked (no second lookup, so no rebinding
//! between check and connect). A single forbidden address in an answer refuses the whole
//! answer: a name that resolves anywhere internal is not a public service.

use super::address_policy::AddressPolicy;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// A boxed lookup future.
pub type LookupFuture<'a> = Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send + 'a>>;

/// Resolves a host name to addresses.
pub trait Lookup: Send + Sync {
    /// The addresses of `host`.
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a>;
    /// The port to connect to for `host` instead of the URL's default, when the operator
    /// pinned one (see [`HostsLookup`]).
    fn port_override(&self, _host: &str) -> Option<u16> {
        None
    }
}

/// The operator's fixed answers (`[egress] hosts` in `faxbot.toml`, like `/etc/hosts` or
/// curl's `--connect-to`: a split-horizon name, a relay in front of a provider), then the
/// system resolver for every other name. A pinned answer is checked against the address
/// policy like any other: pointing a name at an internal address still needs
/// `egress.allow_internal`.
pub struct HostsLookup {
    table: HashMap<String, SocketAddr>,
    fallback: Arc<dyn Lookup>,
}

impl HostsLookup {
    /// `table` maps lower-case names to an address (port 0: the URL's port).
    pub fn new(table: HashMap<String, SocketAddr>, fallback: Arc<dyn Lookup>) -> Self {
        let table = table
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        Self { table, fallback }
    }
}

impl Lookup for HostsLookup {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a> {
        match self.table.get(&host.to_ascii_lowercase()) {
            Some(addr) => {
                let ip = addr.ip();
                Box::pin(async move { Ok(vec![ip]) })
            }
            None => self.fallback.lookup(host),
        }
    }

    fn port_override(&self, host: &str) -> Option<u16> {
        self.table
            .get(&host.to_ascii_lowercase())
            .map(SocketAddr::port)
            .filter(|p| *p != 0)
    }
}

/// The system resolver (getaddrinfo on a blocking thread).
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a> {
        Box::pin(async move {
            let addresses = tokio::net::lookup_host((host, 0)).await?;
            Ok(addresses.map(|a| a.ip()).collect())
        })
    }
}

/// A fixed table of answers, for tests: each name has a list of answers given in turn (the
/// last one repeats), so a rebinding name can answer public first and private next.
#[derive(Default)]
pub struct StaticLookup {
    answers: Mutex<HashMap<String, Vec<Vec<IpAddr>>>>,
}

impl StaticLookup {
    /// Adds the answers `host` gives, in order.
    pub fn with(self, host: &str, answers: Vec<Vec<IpAddr>>) -> Self {
        if let Ok(mut table) = self.answers.lock() {
            table.insert(host.to_ascii_lowercase(), answers);
        }
        self
    }
}

impl Lookup for StaticLookup {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a> {
        Box::pin(async move {
            let mut table = self
                .answers
                .lock()
                .map_err(|_| std::io::Error::other("lookup table poisoned"))?;
            match table.get_mut(&host.to_ascii_lowercase()) {
                Some(answers) if answers.len() > 1 => Ok(answers.remove(0)),
                Some(answers) => Ok(answers.first().cloned().unwrap_or_default()),
                None => Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such name",
                )),
            }
        })
    }
}

/// Why a resolution was refused (found again in the HTTP client's error chain).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ResolveRefusal {
    /// An address of a forbidden class.
    #[error("{host} resolves to {address} ({class})")]
    Forbidden {
        /// The name.
        host: String,
        /// The address.
        address: IpAddr,
        /// Its class.
        class: String,
    },
    /// No address.
    #[error("{host} does not resolve")]
    NoAddress {
        /// The name.
        host: String,
    },
}

/// The resolver the broker's HTTP client uses.
pub struct CheckedResolver {
    pub(crate) lookup: Arc<dyn Lookup>,
    pub(crate) policy: AddressPolicy,
}

impl CheckedResolver {
    /// Resolves and checks `host`.
    pub async fn resolve_checked(&self, host: &str) -> Result<Vec<IpAddr>, ResolveRefusal> {
        let addresses = self
            .lookup
            .lookup(host)
            .await
            .map_err(|_| ResolveRefusal::NoAddress {
                host: host.to_owned(),
            })?;
        if addresses.is_empty() {
            return Err(ResolveRefusal::NoAddress {
                host: host.to_owned(),
            });
        }
        for address in &addresses {
            if let Err(class) = self.policy.check(*address) {
                return Err(ResolveRefusal::Forbidden {
                    host: host.to_owned(),
                    address: *address,
                    class,
                });
            }
        }
        Ok(addresses)
    }
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let lookup = Arc::clone(&self.lookup);
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0 lets the connector use the URL's port; a pinned port replaces it.
            let port = lookup.port_override(&host).unwrap_or(0);
            let resolver = CheckedResolver { lookup, policy };
            let addresses = resolver.resolve_checked(&host).await?;
            let addrs: reqwest::dns::Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(move |ip| SocketAddr::new(ip, port)),
            );
            Ok(addrs)
        })
    }
}
