//! `DIR/faxbot.toml`: the daemon's settings, validated at start and on SIGHUP. Unknown keys
//! are refused and every problem is listed at once with its path (`server.listen: ...`), so
//! a typo never silently drops a setting.

use faxbot_api::ApiSettings;
use faxbot_jail::spec::Layer;
use faxbot_policy::marketplace::MarketplaceSettings;
use faxbot_policy::size::ByteSize;
use faxbot_policy::trust::TierRequirement;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// The config file's name inside the state directory.
pub const CONFIG_FILE_NAME: &str = "faxbot.toml";

/// The default listener: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8750";

/// The file `faxbot init` writes: every setting, commented, at its default.
pub const DEFAULT_CONFIG: &str = r#"# faxbot core configuration. Every setting is optional; each value shown is the default.
# Checked at start and on SIGHUP: unknown keys are refused, and every problem is listed
# with its path. Settings marked (live) change on SIGHUP; the rest need a restart.

[server]
# Where the API listens. Plaintext HTTP is served only on a loopback address unless
# allow_plaintext_non_loopback = true (announced loudly at start); configure [server.tls]
# to serve HTTPS anywhere. `faxbot serve --listen HOST:PORT` overrides this.
# listen = "127.0.0.1:8750"
# allow_plaintext_non_loopback = false
# Largest plugin upload, and largest other request body.
# upload_limit = "64MiB"
# body_limit = "64KiB"
# How long a request may take (uploads: upload_timeout_secs); slow clients are cut off.
# request_timeout_secs = 30
# upload_timeout_secs = 300
# How long a client may take to send a request's headers (also an idle connection's limit).
# header_timeout_secs = 10
# Connections served at once; more wait in the kernel's backlog.
# max_connections = 1024
# On SIGTERM: stop accepting, finish requests in flight within this, stop plugins, exit.
# shutdown_grace_secs = 20

# [server.tls]
# cert = "/etc/faxbot/tls/cert.pem"   # PEM certificate chain
# key = "/etc/faxbot/tls/key.pem"     # PEM private key (PKCS#8, PKCS#1 or SEC1)

[auth]
# Requests per second per API key, and the burst allowed (live). Past it: 429 + Retry-After.
# rate_limit_per_second = 50
# rate_limit_burst = 100

[approvals]
# An install or upgrade needs two approvals from two different keys, neither the
# uploader's (live).
# four_eyes = false

[marketplace]
# (live) See docs/trust.md.
# enabled = false
# remote_install_enabled = false
# trust_tier = "curated_only"   # curated_only | verified_or_curated | any

[plugins]
# Jail layers this host may run plugins without, each announced at start. Production: none.
# Names: cgroup, namespaces, rootfs, rlimits, identity, landlock, seccomp.
# allow_missing_layers = []
# Crashes within restart_window_secs that quarantine a plugin.
# max_crashes = 5
# restart_window_secs = 300
# How long a plugin has to say Hello, and to shut down.
# hello_timeout_secs = 5
# shutdown_timeout_secs = 5
# The most any plugin's manifest may ask for.
# max_memory = "1GiB"
# max_pids = 256

# The base URL fax providers call back and fetch documents from (https in production).
# Provider signatures are computed over this URL followed by the callback path and query.
# public_url = "https://fax.example.com"

[fax]
# The transport outbound faxes go through: test (the default: nothing leaves the machine;
# numbers ending in 0000 fail), or one configured under [transports.NAME].
# outbound = "test"
# Largest document accepted, and how long jobs and their documents are kept.
# max_document = "20MiB"
# retention_days = 30

[events]
# Each event is delivered to each subscribed plugin at least once, in order; a delivery that
# keeps failing is retried with exponential backoff and jitter from retry_base_ms, then kept as
# a dead letter (GET /v1/plugins/ID/dead-letters) after max_attempts.
# max_attempts = 8
# retry_base_ms = 1000

[egress]
# Plugins' HTTPS requests (http.fetch) reach public addresses only. Internal ranges a plugin
# must reach are named here on purpose (each is announced at start), e.g. ["10.20.0.0/24"].
# allow_internal = []
# Trust only this PEM CA bundle instead of the system's roots (which honour SSL_CERT_FILE).
# ca_file = "/etc/faxbot/egress-ca.pem"
# Names answered here instead of DNS, like /etc/hosts or curl's --connect-to (a relay in front
# of a provider, split-horizon DNS); "ADDRESS" or "ADDRESS:PORT". The address is still checked:
# an internal one must also be in allow_internal.
# hosts = { "hooks.slack.com" = "10.20.0.5:8443" }

# Limits on each plugin's HTTPS requests; [egress.plugin_limits.PLUGIN-ID] overrides them for
# one plugin (same keys).
[egress.limits]
# max_request = "1MiB"
# max_response = "4MiB"
# max_headers = "64KiB"
# connect_timeout_ms = 5000
# total_timeout_ms = 30000

# One table per transport, non-secret settings only. Credentials are set write-only with
# PUT /v1/transports/NAME/secrets/KEY: phaxio api_key, api_secret, callback_token;
# signalwire api_token, signing_key; sinch key_id, key_secret; asterisk and freeswitch password.
# [transports.phaxio]
# base_url = "https://api.phaxio.com/v2"
# [transports.sinch]
# project_id = "..."
# auth = "oauth2"        # or "basic" for test accounts
# [transports.signalwire]
# base_url = "https://example.signalwire.com/api/laml/2010-04-01"
# project_id = "..."
# from = "+15550000000"
# [transports.asterisk]
# host = "127.0.0.1"
# port = 5038
# username = "faxbot"
# context = "faxbot-send"
# trunk = "trunk-endpoint"
# [transports.freeswitch]
# host = "127.0.0.1"
# port = 8021
# gateway = "gw_trunk"
# caller_id = "15550000000"

# Interpreters for script plugins (a manifest's runtime = "NAME"), each verified at start:
# absolute paths owned by root and writable by nobody else. The jail runs the interpreter
# from a descriptor on this file, binds its trees read-only at the same paths, and passes the
# package's entry script as its last argument. `faxbot doctor` shows whether each starts.
# [runtimes.python3]
# interpreter = "/usr/bin/python3.11"
# trees = ["/usr/lib/python3.11"]
# args = ["-I", "-S", "-B"]          # isolated, no site packages, no bytecode writes
"#;

/// The transports `[transports.NAME]` may configure, with the settings each takes.
pub const TRANSPORT_SETTINGS: &[(&str, &[&str])] = &[
    ("phaxio", &["base_url", "fetch_document_by_url"]),
    ("sinch", &["base_url", "token_url", "project_id", "auth"]),
    ("signalwire", &["base_url", "project_id", "from"]),
    (
        "asterisk",
        &["host", "port", "username", "context", "trunk"],
    ),
    (
        "freeswitch",
        &["host", "port", "gateway", "caller_id", "t38"],
    ),
];

/// The fax side of the configuration.
#[derive(Clone, Debug)]
pub struct FaxConfig {
    /// Where providers call back (`https://fax.example.com`).
    pub public_url: Option<String>,
    /// The outbound transport.
    pub outbound: String,
    /// Largest document, bytes.
    pub max_document_bytes: u64,
    /// Retention, days.
    pub retention_days: u64,
    /// `[transports.NAME]` tables, validated.
    pub transports: Vec<(String, Table)>,
}

/// `[egress]`: what plugins' HTTPS requests may reach.
#[derive(Clone, Debug, Default)]
pub struct EgressConfig {
    /// Internal ranges allowed on top of public unicast.
    pub allow_internal: Vec<String>,
    /// A PEM CA bundle trusted instead of the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Names answered by the operator instead of DNS: lower-case name → address (port 0:
    /// the URL's port).
    pub hosts: std::collections::HashMap<String, std::net::SocketAddr>,
    /// Limits on every plugin's requests (`[egress.limits]`).
    pub limits: faxbot_brokers::egress::EgressLimits,
    /// Per-plugin limits (`[egress.plugin_limits.ID]`), each starting from `limits`.
    pub plugin_limits: std::collections::HashMap<String, faxbot_brokers::egress::EgressLimits>,
}

/// TLS files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// The whole configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The listener.
    pub listen: SocketAddr,
    /// Serve plaintext on a non-loopback address.
    pub allow_plaintext_non_loopback: bool,
    /// TLS, when configured.
    pub tls: Option<TlsFiles>,
    /// Header read timeout, seconds.
    pub header_timeout_secs: u64,
    /// Connections at once.
    pub max_connections: usize,
    /// Shutdown grace, seconds.
    pub shutdown_grace_secs: u64,
    /// What the API applies.
    pub api: ApiSettings,
    /// Jail layers allowed missing.
    pub allow_missing_layers: Vec<Layer>,
    /// Crashes that quarantine.
    pub max_crashes: usize,
    /// The crash window, seconds.
    pub restart_window_secs: u64,
    /// Hello deadline, seconds.
    pub hello_timeout_secs: u64,
    /// Shutdown deadline, seconds.
    pub shutdown_timeout_secs: u64,
    /// Faxes and transports.
    pub fax: FaxConfig,
    /// Plugins' egress.
    pub egress: EgressConfig,
    /// Event deliveries.
    pub events: EventsConfig,
    /// Interpreted runtimes enabled for script plugins (`[runtimes.NAME]`).
    pub runtimes: Vec<faxbot_supervisor::runtime::Runtime>,
}

/// `[events]`: how the bus retries a delivery before it becomes a dead letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventsConfig {
    /// Attempts per event and subscriber.
    pub max_attempts: u32,
    /// The wait after the first failure, ms; it doubles per attempt up to five minutes.
    pub retry_base_ms: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            retry_base_ms: 1000,
        }
    }
}

/// Every problem found in a config file.
#[derive(Debug, thiserror::Error)]
pub struct ConfigErrors {
    /// The file.
    pub path: PathBuf,
    /// `path: problem` lines.
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} has {} problem(s):",
            self.path.display(),
            self.problems.len()
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// The egress limits of `t` at `path`, each defaulting to `base`'s.
fn egress_limits(
    w: &mut Walker<'_>,
    t: &mut Table,
    path: &str,
    base: faxbot_brokers::egress::EgressLimits,
) -> faxbot_brokers::egress::EgressLimits {
    let size = |w: &mut Walker<'_>, t: &mut Table, key: &str, default: usize| {
        usize::try_from(w.size(t, key, path, default as u64, 1 << 10, 1 << 30)).unwrap_or(default)
    };
    let ms = |w: &mut Walker<'_>, t: &mut Table, key: &str, default: std::time::Duration| {
        std::time::Duration::from_millis(w.number(
            t,
            key,
            path,
            u64::try_from(default.as_millis()).unwrap_or(u64::MAX),
            100,
            600_000,
        ))
    };
    faxbot_brokers::egress::EgressLimits {
        max_request_bytes: size(w, t, "max_request", base.max_request_bytes),
        max_response_bytes: size(w, t, "max_response", base.max_response_bytes),
        max_header_bytes: size(w, t, "max_headers", base.max_header_bytes),
        connect_timeout: ms(w, t, "connect_timeout_ms", base.connect_timeout),
        total_timeout: ms(w, t, "total_timeout_ms", base.total_timeout),
        max_redirects: base.max_redirects,
    }
}

/// Parses `HOST:PORT` where HOST is an IP address (IPv6 in brackets) or `localhost`.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Some(port) = text.strip_prefix("localhost:") {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("`{text}`: the port is not a number from 0 to 65535"))?;
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().map_err(|_| {
        format!("`{text}` is not HOST:PORT (an IP address or localhost, then a port; IPv6 as [::1]:8750)")
    })
}

struct Walker<'a> {
    problems: &'a mut Vec<String>,
}

impl Walker<'_> {
    fn table(&mut self, parent: &mut Table, key: &str, path: &str) -> Table {
        match parent.remove(key) {
            None => Table::new(),
            Some(Value::Table(t)) => t,
            Some(_) => {
                self.problems.push(format!("{path}: must be a table"));
                Table::new()
            }
        }
    }

    fn bool(&mut self, t: &mut Table, key: &str, path: &str, default: bool) -> bool {
        match t.remove(key) {
            None => default,
            Some(Value::Boolean(b)) => b,
            Some(_) => {
                self.problems
                    .push(format!("{path}.{key}: must be true or false"));
                default
            }
        }
    }

    fn string(&mut self, t: &mut Table, key: &str, path: &str) -> Option<String> {
        match t.remove(key) {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.problems
                    .push(format!("{path}.{key}: must be a string"));
                None
            }
        }
    }

    fn number(
        &mut self,
        t: &mut Table,
        key: &str,
        path: &str,
        default: u64,
        min: u64,
        max: u64,
    ) -> u64 {
        match t.remove(key) {
            None => default,
            Some(Value::Integer(n)) if n >= 0 && (min..=max).contains(&(n as u64)) => n as u64,
            Some(_) => {
                self.problems.push(format!(
                    "{path}.{key}: must be a whole number from {min} to {max}"
                ));
                default
            }
        }
    }

    fn size(
        &mut self,
        t: &mut Table,
        key: &str,
        path: &str,
        default: u64,
        min: u64,
        max: u64,
    ) -> u64 {
        let bytes = match t.remove(key) {
            None => return default,
            Some(Value::String(s)) => ByteSize::parse(&s).map(|b| b.0),
            Some(Value::Integer(n)) => u64::try_from(n).ok(),
            Some(_) => None,
        };
        match bytes {
            Some(b) if (min..=max).contains(&b) => b,
            _ => {
                self.problems.push(format!(
                    "{path}.{key}: must be a size from {} to {} (like \"64MiB\")",
                    ByteSize(min),
                    ByteSize(max)
                ));
                default
            }
        }
    }

    fn unknown(&mut self, t: Table, path: &str) {
        for key in t.keys() {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            self.problems.push(format!("{at}: unknown setting"));
        }
    }
}

fn layer_named(name: &str) -> Option<Layer> {
    Layer::ALL.into_iter().find(|l| l.name() == name)
}

impl Config {
    /// The configuration of `text` (the contents of `path`, named in problems).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigErrors> {
        let fail = |problems| ConfigErrors {
            path: path.to_owned(),
            problems,
        };
        let mut root: Table = text
            .parse()
            .map_err(|e: toml::de::Error| fail(vec![format!("not valid TOML: {}", e.message())]))?;
        let mut problems = Vec::new();
        let mut w = Walker {
            problems: &mut problems,
        };
        let defaults = ApiSettings::default();

        let mut server = w.table(&mut root, "server", "server");
        let listen = match w.string(&mut server, "listen", "server") {
            Some(text) => match parse_listen(&text) {
                Ok(addr) => addr,
                Err(why) => {
                    w.problems.push(format!("server.listen: {why}"));
                    parse_listen(DEFAULT_LISTEN)
                        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8750)))
                }
            },
            None => SocketAddr::from(([127, 0, 0, 1], 8750)),
        };
        let allow_plaintext_non_loopback =
            w.bool(&mut server, "allow_plaintext_non_loopback", "server", false);
        let upload_limit = w.size(
            &mut server,
            "upload_limit",
            "server",
            64 << 20,
            1 << 10,
            1 << 30,
        );
        let body_limit = w.size(
            &mut server,
            "body_limit",
            "server",
            64 << 10,
            1 << 10,
            16 << 20,
        );
        let request_timeout = w.number(&mut server, "request_timeout_secs", "server", 30, 1, 3600);
        let upload_timeout = w.number(&mut server, "upload_timeout_secs", "server", 300, 1, 86_400);
        let header_timeout_secs =
            w.number(&mut server, "header_timeout_secs", "server", 10, 1, 600);
        let max_connections = w.number(&mut server, "max_connections", "server", 1024, 1, 1 << 20);
        let shutdown_grace_secs =
            w.number(&mut server, "shutdown_grace_secs", "server", 20, 0, 3600);
        let tls = match server.remove("tls") {
            None => None,
            Some(Value::Table(mut t)) => {
                let cert = w.string(&mut t, "cert", "server.tls");
                let key = w.string(&mut t, "key", "server.tls");
                w.unknown(t, "server.tls");
                match (cert, key) {
                    (Some(cert), Some(key)) => Some(TlsFiles {
                        cert: cert.into(),
                        key: key.into(),
                    }),
                    _ => {
                        w.problems
                            .push("server.tls: give both cert and key".to_owned());
                        None
                    }
                }
            }
            Some(_) => {
                w.problems.push("server.tls: must be a table".to_owned());
                None
            }
        };
        w.unknown(server, "server");

        let mut auth = w.table(&mut root, "auth", "auth");
        let rate_per_second =
            w.number(&mut auth, "rate_limit_per_second", "auth", 50, 1, 1_000_000);
        let rate_burst = w.number(&mut auth, "rate_limit_burst", "auth", 100, 1, 1_000_000);
        w.unknown(auth, "auth");

        let mut approvals = w.table(&mut root, "approvals", "approvals");
        let four_eyes = w.bool(&mut approvals, "four_eyes", "approvals", false);
        w.unknown(approvals, "approvals");

        let mut market = w.table(&mut root, "marketplace", "marketplace");
        let enabled = w.bool(&mut market, "enabled", "marketplace", false);
        let remote_install_enabled =
            w.bool(&mut market, "remote_install_enabled", "marketplace", false);
        let trust_tier = match w
            .string(&mut market, "trust_tier", "marketplace")
            .as_deref()
        {
            None | Some("curated_only") => TierRequirement::CuratedOnly,
            Some("verified_or_curated") => TierRequirement::VerifiedOrCurated,
            Some("any") => TierRequirement::Any,
            Some(other) => {
                w.problems.push(format!(
                    "marketplace.trust_tier: `{other}` is not curated_only, verified_or_curated or any"
                ));
                TierRequirement::CuratedOnly
            }
        };
        w.unknown(market, "marketplace");

        let mut plugins = w.table(&mut root, "plugins", "plugins");
        let allow_missing_layers = match plugins.remove("allow_missing_layers") {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                let mut layers = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item.as_str().and_then(layer_named) {
                        Some(layer) => layers.push(layer),
                        None => w.problems.push(format!(
                            "plugins.allow_missing_layers[{i}]: not a jail layer ({})",
                            Layer::ALL.map(|l| l.name()).join(", ")
                        )),
                    }
                }
                layers
            }
            Some(_) => {
                w.problems
                    .push("plugins.allow_missing_layers: must be a list of layer names".to_owned());
                Vec::new()
            }
        };
        let max_crashes = w.number(&mut plugins, "max_crashes", "plugins", 5, 1, 1000) as usize;
        let restart_window_secs = w.number(
            &mut plugins,
            "restart_window_secs",
            "plugins",
            300,
            1,
            86_400,
        );
        let hello_timeout_secs = w.number(&mut plugins, "hello_timeout_secs", "plugins", 5, 1, 600);
        let shutdown_timeout_secs =
            w.number(&mut plugins, "shutdown_timeout_secs", "plugins", 5, 1, 600);
        let mut ceilings = defaults.ceilings.clone();
        ceilings.memory_bytes = w.size(
            &mut plugins,
            "max_memory",
            "plugins",
            ceilings.memory_bytes,
            1 << 20,
            1 << 40,
        );
        ceilings.pids = w.number(
            &mut plugins,
            "max_pids",
            "plugins",
            u64::from(ceilings.pids),
            1,
            65_536,
        ) as u32;
        w.unknown(plugins, "plugins");

        let public_url = w.string(&mut root, "public_url", "");
        if let Some(url) = &public_url {
            match url::Url::parse(url) {
                Ok(u) if u.scheme() == "https" || u.scheme() == "http" => {}
                _ => w
                    .problems
                    .push(format!("public_url: `{url}` is not an http(s) URL")),
            }
        }
        let mut fax = w.table(&mut root, "fax", "fax");
        let outbound = w
            .string(&mut fax, "outbound", "fax")
            .unwrap_or_else(|| "test".to_owned());
        let max_document_bytes =
            w.size(&mut fax, "max_document", "fax", 20 << 20, 1 << 10, 1 << 30);
        let retention_days = w.number(&mut fax, "retention_days", "fax", 30, 1, 3650);
        w.unknown(fax, "fax");
        let mut events_table = w.table(&mut root, "events", "events");
        let events = EventsConfig {
            max_attempts: u32::try_from(w.number(
                &mut events_table,
                "max_attempts",
                "events",
                8,
                1,
                100,
            ))
            .unwrap_or(8),
            retry_base_ms: w.number(
                &mut events_table,
                "retry_base_ms",
                "events",
                1000,
                10,
                600_000,
            ),
        };
        w.unknown(events_table, "events");
        let mut egress_table = w.table(&mut root, "egress", "egress");
        let allow_internal = match egress_table.remove("allow_internal") {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                let mut ranges = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item.as_str() {
                        Some(text)
                            if faxbot_brokers::egress::InternalRange::parse(text).is_ok() =>
                        {
                            ranges.push(text.to_owned());
                        }
                        _ => w.problems.push(format!(
                            "egress.allow_internal[{i}]: not an address range like 10.1.2.0/24"
                        )),
                    }
                }
                ranges
            }
            Some(_) => {
                w.problems
                    .push("egress.allow_internal: must be a list of address ranges".to_owned());
                Vec::new()
            }
        };
        let ca_file = w
            .string(&mut egress_table, "ca_file", "egress")
            .map(PathBuf::from);
        let mut hosts = std::collections::HashMap::new();
        match egress_table.remove("hosts") {
            None => {}
            Some(Value::Table(table)) => {
                for (name, value) in table {
                    let parsed = value.as_str().and_then(|text| {
                        text.parse::<std::net::SocketAddr>().ok().or_else(|| {
                            text.parse::<std::net::IpAddr>()
                                .ok()
                                .map(|ip| std::net::SocketAddr::new(ip, 0))
                        })
                    });
                    let name_ok = !name.is_empty()
                        && name.len() <= 253
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
                    match parsed {
                        Some(addr) if name_ok => {
                            hosts.insert(name.to_ascii_lowercase(), addr);
                        }
                        _ => w.problems.push(format!(
                            "egress.hosts.{name}: not a host name mapped to \"ADDRESS\" or \"ADDRESS:PORT\" (IPv6 as [::1]:8443)"
                        )),
                    }
                }
            }
            Some(_) => w
                .problems
                .push("egress.hosts: must be a table of host name = \"ADDRESS[:PORT]\"".to_owned()),
        }
        let mut limits_table = w.table(&mut egress_table, "limits", "egress.limits");
        let limits = egress_limits(
            &mut w,
            &mut limits_table,
            "egress.limits",
            faxbot_brokers::egress::EgressLimits::default(),
        );
        w.unknown(limits_table, "egress.limits");
        let mut plugin_limits = std::collections::HashMap::new();
        let per_plugin = w.table(&mut egress_table, "plugin_limits", "egress.plugin_limits");
        for (id, value) in per_plugin {
            let path = format!("egress.plugin_limits.{id}");
            if faxbot_policy::manifest::check_id(&id).is_err() {
                w.problems.push(format!("{path}: not a plugin id"));
                continue;
            }
            match value {
                Value::Table(mut t) => {
                    let l = egress_limits(&mut w, &mut t, &path, limits);
                    w.unknown(t, &path);
                    plugin_limits.insert(id, l);
                }
                _ => w
                    .problems
                    .push(format!("{path}: must be a table of limits")),
            }
        }
        w.unknown(egress_table, "egress");
        let mut transports = Vec::new();
        let mut tables = w.table(&mut root, "transports", "transports");
        for (name, keys) in TRANSPORT_SETTINGS {
            if let Some(value) = tables.remove(*name) {
                let path = format!("transports.{name}");
                match value {
                    Value::Table(mut t) => {
                        let mut kept = Table::new();
                        for key in *keys {
                            if let Some(v) = t.remove(*key) {
                                kept.insert((*key).to_owned(), v);
                            }
                        }
                        w.unknown(t, &path);
                        transports.push(((*name).to_owned(), kept));
                    }
                    _ => w.problems.push(format!("{path}: must be a table")),
                }
            }
        }
        for name in tables.keys() {
            w.problems.push(format!(
                "transports.{name}: unknown transport (phaxio, sinch, signalwire, asterisk, freeswitch)"
            ));
        }
        if outbound != "test" && !transports.iter().any(|(n, _)| *n == outbound) {
            w.problems.push(format!(
                "fax.outbound: `{outbound}` is neither test nor a configured [transports.{outbound}]"
            ));
        }
        let runtimes_table = w.table(&mut root, "runtimes", "runtimes");
        let runtimes = crate::runtimes::parse(runtimes_table, w.problems);
        w.unknown(root, "");

        if !problems.is_empty() {
            return Err(fail(problems));
        }
        let mut package_limits = defaults.package_limits.clone();
        package_limits.max_compressed_bytes = upload_limit;
        Ok(Config {
            events,
            runtimes,
            egress: EgressConfig {
                allow_internal,
                ca_file,
                hosts,
                limits,
                plugin_limits,
            },
            fax: FaxConfig {
                public_url,
                outbound,
                max_document_bytes,
                retention_days,
                transports,
            },
            listen,
            allow_plaintext_non_loopback,
            tls,
            header_timeout_secs,
            max_connections: max_connections as usize,
            shutdown_grace_secs,
            api: ApiSettings {
                four_eyes,
                marketplace: MarketplaceSettings {
                    enabled,
                    remote_install_enabled,
                    trust_tier,
                },
                rate_per_second: rate_per_second as u32,
                rate_burst: rate_burst as u32,
                ceilings,
                package_limits,
                upload_limit: upload_limit as usize,
                json_limit: body_limit as usize,
                request_timeout_ms: request_timeout * 1000,
                upload_timeout_ms: upload_timeout * 1000,
            },
            allow_missing_layers,
            max_crashes,
            restart_window_secs,
            hello_timeout_secs,
            shutdown_timeout_secs,
        })
    }

    /// Reads and parses `DIR/faxbot.toml`.
    pub fn load(dir: &Path) -> Result<Self, ConfigErrors> {
        let path = dir.join(CONFIG_FILE_NAME);
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigErrors {
            path: path.clone(),
            problems: vec![format!(
                "cannot read it: {e} (run `faxbot init --dir {}` first)",
                dir.display()
            )],
        })?;
        Self::parse(&text, &path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigErrors> {
        Config::parse(text, Path::new("faxbot.toml"))
    }

    #[test]
    fn egress_limits_apply_to_every_plugin_and_can_be_set_per_plugin() {
        let config = parse(
            "[egress.limits]\nmax_response = \"2MiB\"\ntotal_timeout_ms = 10000\n\
             [egress.plugin_limits.slack-notifier]\ntotal_timeout_ms = 1000\n",
        )
        .expect("parses");
        assert_eq!(config.egress.limits.max_response_bytes, 2 << 20);
        let slack = config.egress.plugin_limits["slack-notifier"];
        assert_eq!(slack.total_timeout, std::time::Duration::from_secs(1));
        // Unset keys of a plugin's table start from [egress.limits], not the built-in defaults.
        assert_eq!(slack.max_response_bytes, 2 << 20);
        let errors = parse(
            "[egress.plugin_limits.\"Bad Id\"]\ntotal_timeout_ms = 1\n[egress.limits]\nmax_headers = \"1B\"\nspeed = 3\n",
        )
        .expect_err("refused")
        .to_string();
        assert!(errors.contains("egress.plugin_limits.Bad Id"), "{errors}");
        assert!(errors.contains("egress.limits"), "{errors}");
        assert!(errors.contains("speed"), "{errors}");
    }

    #[test]
    fn the_commented_default_file_is_the_default_configuration() {
        let config = parse(DEFAULT_CONFIG).expect("default parses");
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert!(!config.api.four_eyes);
        assert_eq!(config.api.marketplace, MarketplaceSettings::default());
        assert!(config.allow_missing_layers.is_empty());
        assert!(config.tls.is_none());
    }

    #[test]
    fn every_problem_is_listed_with_its_path() {
        let errors = parse(
            "lisen = 1\n[server]\nlisten = \"nowhere\"\nupload_limit = \"lots\"\n[server.tls]\ncert = \"c\"\n\
             [approvals]\nfour_eyes = \"yes\"\n[plugins]\nallow_missing_layers = [\"seccomp\", \"magic\"]\n[marketplace]\ntrust_tier = \"all\"\n",
        )
        .expect_err("invalid");
        let text = errors.to_string();
        for expected in [
            "lisen: unknown setting",
            "server.listen:",
            "server.upload_limit:",
            "server.tls: give both cert and key",
            "approvals.four_eyes: must be true or false",
            "plugins.allow_missing_layers[1]:",
            "marketplace.trust_tier:",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        assert_eq!(errors.problems.len(), 7, "{text}");
    }

    #[test]
    fn listen_takes_ip_addresses_and_localhost() {
        assert_eq!(
            parse_listen("localhost:0").expect("ok").to_string(),
            "127.0.0.1:0"
        );
        assert_eq!(
            parse_listen("[::1]:80").expect("ok").to_string(),
            "[::1]:80"
        );
        assert!(parse_listen("example.com:80").is_err());
        assert!(parse_listen("127.0.0.1").is_err());
    }
}
