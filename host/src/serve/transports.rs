//! The daemon's fax transports: the test transport always, and each `[transports.NAME]`
//! of `faxbot.toml` built from its settings and the credentials stored (sealed) through
//! `PUT /v1/transports/NAME/secrets/KEY`. A transport whose credentials are incomplete is
//! not built (and so cannot send or verify a callback) until they are set.

use crate::config::FaxConfig;
use faxbot_api::fax::TransportSet;
use faxbot_api::fax::sealer::Sealer;
use faxbot_store::FaxStore;
use faxbot_transports::FaxTransport;
use faxbot_transports::asterisk::{Asterisk, AsteriskConfig};
use faxbot_transports::freeswitch::{FreeSwitch, FreeSwitchConfig};
use faxbot_transports::http::Timeouts;
use faxbot_transports::phaxio::{self, Phaxio, PhaxioConfig};
use faxbot_transports::signalwire::{SignalWire, SignalWireConfig};
use faxbot_transports::sinch::{self, Sinch, SinchAuth, SinchConfig};
use faxbot_transports::test_transport::TestTransport;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use toml::{Table, Value};

/// The credential keys each transport takes.
pub fn secret_keys(name: &str) -> Option<Vec<&'static str>> {
    Some(match name {
        "phaxio" => vec!["api_key", "api_secret", "callback_token"],
        "signalwire" => vec!["api_token", "signing_key"],
        "sinch" => vec!["key_id", "key_secret"],
        "asterisk" | "freeswitch" => vec!["password"],
        "test" => Vec::new(),
        _ => return None,
    })
}

/// The daemon's transports.
pub struct DaemonTransports {
    config: FaxConfig,
    store: Arc<dyn FaxStore>,
    sealer: Sealer,
    test: Arc<TestTransport>,
    built: Mutex<HashMap<String, Arc<dyn FaxTransport>>>,
}

fn text(t: &Table, key: &str) -> Option<String> {
    t.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn port(t: &Table, default: u16) -> u16 {
    t.get("port")
        .and_then(Value::as_integer)
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(default)
}

impl DaemonTransports {
    /// The transports of `config`, credentials read from `store` and opened with `sealer`.
    pub fn new(config: FaxConfig, store: Arc<dyn FaxStore>, sealer: Sealer) -> Self {
        Self {
            config,
            store,
            sealer,
            test: Arc::new(TestTransport::default()),
            built: Mutex::new(HashMap::new()),
        }
    }

    fn secret(&self, name: &str, key: &str) -> Option<String> {
        faxbot_api::fax::secrets::get(
            self.store.as_ref(),
            &self.sealer,
            &faxbot_api::fax::secrets::transport_scope(name),
            key,
        )
    }

    fn settings(&self, name: &str) -> Option<&Table> {
        self.config
            .transports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
    }

    /// Builds transport `name` afresh, or says why it cannot be (not configured, a
    /// credential not set, a setting refused): for `faxbot doctor`.
    pub fn build_for_check(&self, name: &str) -> Result<Arc<dyn FaxTransport>, String> {
        if name == "test" {
            return Ok(self.test.clone());
        }
        self.build(name)
    }

    fn build(&self, name: &str) -> Result<Arc<dyn FaxTransport>, String> {
        let t = self
            .settings(name)
            .ok_or_else(|| format!("{name} is not configured"))?;
        let need = |key: &str| {
            self.secret(name, key)
                .ok_or_else(|| format!("{name}: credential {key} is not set"))
        };
        let timeouts = Timeouts::default();
        Ok(match name {
            "phaxio" => Arc::new(Phaxio::new(PhaxioConfig {
                base_url: text(t, "base_url").unwrap_or_else(|| phaxio::DEFAULT_BASE_URL.into()),
                api_key: need("api_key")?,
                api_secret: need("api_secret")?,
                callback_token: self.secret(name, "callback_token").unwrap_or_default(),
                fetch_document_by_url: t
                    .get("fetch_document_by_url")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                timeouts,
            })?),
            "sinch" => Arc::new(Sinch::new(SinchConfig {
                base_url: text(t, "base_url").unwrap_or_else(|| sinch::DEFAULT_BASE_URL.into()),
                token_url: text(t, "token_url").unwrap_or_else(|| sinch::DEFAULT_TOKEN_URL.into()),
                project_id: text(t, "project_id").unwrap_or_default(),
                key_id: need("key_id")?,
                key_secret: need("key_secret")?,
                auth: if text(t, "auth").as_deref() == Some("basic") {
                    SinchAuth::Basic
                } else {
                    SinchAuth::OAuth2
                },
                timeouts,
            })?),
            "signalwire" => Arc::new(SignalWire::new(SignalWireConfig {
                base_url: text(t, "base_url").ok_or("signalwire: base_url is not set")?,
                project_id: text(t, "project_id").unwrap_or_default(),
                api_token: need("api_token")?,
                signing_key: self.secret(name, "signing_key").unwrap_or_default(),
                from: text(t, "from").unwrap_or_default(),
                timeouts,
            })?),
            "asterisk" => Arc::new(Asterisk::start(AsteriskConfig {
                host: text(t, "host").unwrap_or_else(|| "127.0.0.1".into()),
                port: port(t, 5038),
                username: text(t, "username").unwrap_or_else(|| "faxbot".into()),
                password: need("password")?,
                context: text(t, "context").unwrap_or_else(|| "faxbot-send".into()),
                trunk: text(t, "trunk").unwrap_or_else(|| "trunk-endpoint".into()),
                answer_timeout: Duration::from_secs(10),
                max_backoff: Duration::from_secs(30),
            })?),
            "freeswitch" => Arc::new(FreeSwitch::start(FreeSwitchConfig {
                host: text(t, "host").unwrap_or_else(|| "127.0.0.1".into()),
                port: port(t, 8021),
                password: need("password")?,
                gateway: text(t, "gateway").unwrap_or_else(|| "gw_trunk".into()),
                caller_id: text(t, "caller_id").unwrap_or_else(|| "0".into()),
                t38: t.get("t38").and_then(Value::as_bool).unwrap_or(true),
                answer_timeout: Duration::from_secs(10),
                max_backoff: Duration::from_secs(30),
            })?),
            other => return Err(format!("{other} is not a transport")),
        })
    }
}

impl TransportSet for DaemonTransports {
    fn outbound(&self) -> Option<Arc<dyn FaxTransport>> {
        self.get(&self.config.outbound)
    }

    fn get(&self, name: &str) -> Option<Arc<dyn FaxTransport>> {
        if name == "test" {
            return Some(self.test.clone());
        }
        let mut built = self.built.lock().ok()?;
        if let Some(transport) = built.get(name) {
            return Some(transport.clone());
        }
        match self.build(name) {
            Ok(transport) => {
                built.insert(name.to_owned(), transport.clone());
                Some(transport)
            }
            Err(why) => {
                tracing::warn!(transport = name, "{why}");
                None
            }
        }
    }

    fn names(&self) -> Vec<String> {
        let mut names = vec!["test".to_owned()];
        names.extend(self.config.transports.iter().map(|(n, _)| n.clone()));
        names
    }

    fn secret_keys(&self, name: &str) -> Option<Vec<&'static str>> {
        if name != "test" && self.settings(name).is_none() {
            return None;
        }
        secret_keys(name)
    }

    fn needs_tiff(&self, name: &str) -> bool {
        matches!(name, "asterisk" | "freeswitch")
    }

    fn reload(&self, name: &str) {
        if let Ok(mut built) = self.built.lock() {
            built.remove(name);
        }
    }
}
