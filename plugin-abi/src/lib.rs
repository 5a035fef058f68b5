//! faxbot-plugin-abi: every byte a plugin and the faxbot core exchange.
//!
//! This crate is the single source of truth for the wire: framing, the handshake, the
//! envelope, every method's request and response types, the error model and the events a
//! plugin may see. It must stay small (serde + postcard; tokio only behind the `tokio`
//! feature) and must never carry a type that could hold PHI or a secret value.
