//! The egress broker (`http.fetch`).

mod address_policy;
mod broker;
mod error;
mod limits;
mod render;
mod resolver;

pub use address_policy::{AddressPolicy, CidrError, InternalRange};
pub use broker::{EgressBroker, EgressRecord, PluginEgress, TlsRoots};
pub use error::EgressError;
pub use limits::EgressLimits;
pub use render::{Rendered, SecretSource, render};
pub use resolver::{HostsLookup, Lookup, StaticLookup, SystemLookup};
