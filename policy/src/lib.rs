//! faxbot-policy: what a plugin may do, decided as pure functions.
//!
//! Manifests, capability grants, egress rules, trust tiers, marketplace rules, the package
//! format and signature verification. Nothing here performs I/O beyond reading the bytes it
//! is given; enforcement belongs to the supervisor and the host.
