//! The architecture's arrows, checked on the real dependency graph (`cargo metadata`): a
//! plugin's crates stay small and never reach the host's; the jail has no async runtime; the
//! only bridge from PHI-bearing code to plugins is `faxbot-events`. Only normal (run-time)
//! dependencies count: what a crate's tests use is not what it ships.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

/// The host-side crates a plugin's tree must never reach.
const HOST_CRATES: &[&str] = &[
    "faxbot-policy",
    "faxbot-supervisor",
    "faxbot-jail",
    "faxbot-cgroup",
    "faxbot-audit",
    "faxbot-store",
    "faxbot-api",
    "faxbot-brokers",
    "faxbot-bus",
    "faxbot-transports",
    "faxbot-host",
];

/// Signing, TLS and HTTP crates: none belongs in a plugin's tree.
const SIGNING_AND_HTTP: &[&str] = &[
    "sequoia-openpgp",
    "sigstore",
    "ed25519-dalek",
    "ring",
    "aws-lc-rs",
    "rustls",
    "hyper",
    "h2",
    "reqwest",
    "axum",
];

struct Graph {
    names: HashMap<String, String>,
    normal_deps: HashMap<String, Vec<String>>,
}

impl Graph {
    fn load() -> Self {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args(["metadata", "--format-version", "1"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .output()
            .expect("cargo metadata runs");
        assert!(
            output.status.success(),
            "cargo metadata: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
        let names = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().expect("id").to_owned(),
                    p["name"].as_str().expect("name").to_owned(),
                )
            })
            .collect();
        let normal_deps = metadata["resolve"]["nodes"]
            .as_array()
            .expect("resolve nodes")
            .iter()
            .map(|node| {
                let deps = node["deps"]
                    .as_array()
                    .expect("deps")
                    .iter()
                    .filter(|dep| {
                        dep["dep_kinds"]
                            .as_array()
                            .expect("dep_kinds")
                            .iter()
                            .any(|k| k["kind"].is_null() || k["kind"] == "build")
                    })
                    .map(|dep| dep["pkg"].as_str().expect("pkg").to_owned())
                    .collect();
                (node["id"].as_str().expect("id").to_owned(), deps)
            })
            .collect();
        Self { names, normal_deps }
    }

    fn has(&self, package: &str) -> bool {
        self.names.values().any(|n| n == package)
    }

    /// Every package `package` reaches through normal dependencies, by name.
    fn reach(&self, package: &str) -> BTreeSet<String> {
        let start: Vec<String> = self
            .names
            .iter()
            .filter(|(_, name)| name.as_str() == package)
            .map(|(id, _)| id.clone())
            .collect();
        assert!(!start.is_empty(), "{package} is not in the workspace graph");
        let mut seen = BTreeSet::new();
        let mut todo = start;
        while let Some(id) = todo.pop() {
            for dep in self.normal_deps.get(&id).into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    todo.push(dep.clone());
                }
            }
        }
        seen.iter().map(|id| self.names[id].clone()).collect()
    }

    fn assert_never_reaches(&self, from: &str, forbidden: &[&str], why: &str) {
        let reached = self.reach(from);
        let hits: Vec<&&str> = forbidden.iter().filter(|f| reached.contains(**f)).collect();
        assert!(hits.is_empty(), "{from} reaches {hits:?}: {why}");
    }
}

#[test]
fn a_plugins_crates_never_reach_host_signing_or_http_crates() {
    let graph = Graph::load();
    for plugin_crate in ["faxbot-sdk", "faxbot-plugin-abi"] {
        graph.assert_never_reaches(
            plugin_crate,
            HOST_CRATES,
            "a plugin's tree never holds the host's policy, jail or state",
        );
        graph.assert_never_reaches(
            plugin_crate,
            SIGNING_AND_HTTP,
            "a plugin's tree stays small: no signing, TLS or HTTP stack",
        );
    }
}

#[test]
fn the_jail_has_no_async_runtime() {
    let graph = Graph::load();
    graph.assert_never_reaches(
        "faxbot-jail",
        &["tokio", "mio", "async-std"],
        "faxbot-jail is a small single-threaded program",
    );
    graph.assert_never_reaches(
        "faxbot-cgroup",
        &["tokio", "mio"],
        "the jail's cgroup code runs in the single-threaded jail",
    );
}

#[test]
fn phi_reaches_plugins_only_through_the_event_projection() {
    let graph = Graph::load();
    if graph.has("faxbot-transports") {
        graph.assert_never_reaches(
            "faxbot-transports",
            &["faxbot-plugin-abi", "faxbot-events"],
            "transports see PHI; only faxbot-events may bridge it to plugins",
        );
    }
    if graph.has("faxbot-api") {
        graph.assert_never_reaches(
            "faxbot-api",
            &["faxbot-jail"],
            "the HTTP API never reaches the jail",
        );
    }
    if graph.has("faxbot-brokers") {
        graph.assert_never_reaches(
            "faxbot-brokers",
            &["faxbot-api"],
            "brokers never reach the API",
        );
    }
    // The projection itself stays pure: none of the host's machinery behind the boundary.
    // (tokio is not listed: `cargo metadata` unifies features across the workspace, so the
    // ABI's optional tokio feature shows up under every crate that uses the ABI.)
    graph.assert_never_reaches(
        "faxbot-events",
        &[
            "faxbot-supervisor",
            "faxbot-jail",
            "faxbot-store",
            "faxbot-transports",
        ],
        "the projection is a pure function",
    );
}
