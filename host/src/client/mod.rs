//! The admin CLI: `faxbot plugin …`, `faxbot key …`, `faxbot trust …`, `faxbot tenant …`,
//! each a client of the daemon's HTTP API (tables for people, `--json` for scripts).

pub mod http;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use http::{Api, ApiArgs, segment};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::ExitCode;

fn print_json(value: &Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn s(v: &Value) -> String {
    match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Prints rows under a header, columns padded to their widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    println!("{}", line(header.iter().map(|h| (*h).to_owned()).collect()));
    for row in rows {
        println!("{}", line(row.clone()));
    }
}

// ---- plugins ------------------------------------------------------------------------------

/// `faxbot plugin …`
#[derive(Debug, Args)]
pub struct PluginArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: PluginCommand,
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// The plugins this key may see.
    List,
    /// One plugin: state, versions, grants, health, and a pending version's review.
    Show { id: String },
    /// Upload a signed package (PACKAGE.fxp and PACKAGE.fxp.sig).
    Install {
        /// The .fxp package.
        package: PathBuf,
        /// Its signature (default: the package path + `.sig`).
        #[arg(long)]
        signature: Option<PathBuf>,
        /// Install for this tenant (platform keys).
        #[arg(long)]
        tenant: Option<String>,
        /// Force a downgrade (with --reason).
        #[arg(long)]
        force: bool,
        /// Why the downgrade is forced.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Approve the pending version: everything requested, or the grants given.
    Approve {
        id: String,
        /// Grants as JSON (a list of capabilities, or the manifest's [capabilities] form),
        /// or @FILE.
        #[arg(long)]
        grants: Option<String>,
        /// When the grants expire (RFC 3339).
        #[arg(long)]
        expires_at: Option<String>,
        /// Do not start it once approved.
        #[arg(long)]
        no_start: bool,
    },
    /// Reject the pending version.
    Reject {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Start an approved plugin.
    Start { id: String },
    /// Stop a plugin.
    Stop { id: String },
    /// Stop and start a running plugin.
    Restart { id: String },
    /// Lift a quarantine.
    ClearQuarantine { id: String },
    /// Stop and remove a plugin.
    Uninstall {
        id: String,
        /// Delete its stored data too.
        #[arg(long)]
        purge: bool,
    },
    /// Its logs (redacted).
    Logs {
        id: String,
        #[arg(long, default_value_t = 0)]
        after: u64,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

fn print_plugin(view: &Value) {
    println!(
        "{} {} — {}",
        s(&view["id"]),
        s(&view["name"]),
        s(&view["state"])
    );
    println!("  version      {}", s(&view["version"]));
    if !view["pending_version"].is_null() {
        println!("  pending      {}", s(&view["pending_version"]));
    }
    if !view["tenant"].is_null() {
        println!("  tenant       {}", s(&view["tenant"]));
    }
    println!("  publisher    {}", s(&view["publisher"]));
    println!("  digest       {}", s(&view["digest"]));
    println!(
        "  health       {} (restarts {})",
        s(&view["health"]),
        s(&view["restarts"])
    );
    if !view["reason"].is_null() {
        println!("  reason       {}", s(&view["reason"]));
    }
    if !view["last_exit_reason"].is_null() {
        println!("  last exit    {}", s(&view["last_exit_reason"]));
    }
    if let Some(granted) = view["granted"].as_array().filter(|g| !g.is_empty()) {
        println!("  granted:");
        for g in granted {
            let until = g["expires_at"]
                .as_str()
                .map(|t| format!(" until {t}"))
                .unwrap_or_default();
            let live = if g["live"] == true { "" } else { " (expired)" };
            println!("    {}{until}{live}", s(&g["display"]));
        }
    }
    let review = &view["review"];
    if review.is_object() {
        println!("  review of {}:", s(&review["version"]));
        println!(
            "    signed by {} ({}, {} tier, {})",
            s(&review["publisher"]),
            s(&review["key"]),
            s(&review["tier"]),
            s(&review["scheme"])
        );
        println!("    highest risk: {}", s(&review["risk"]));
        for r in review["requested"].as_array().into_iter().flatten() {
            println!(
                "    [{:<6}] {}: {}",
                s(&r["risk"]),
                s(&r["display"]),
                s(&r["summary"])
            );
        }
        if let Some(upgrade) = review["upgrade"].as_object() {
            println!("    upgrade from {}:", s(&upgrade["from_version"]));
            for n in upgrade["new"].as_array().into_iter().flatten() {
                println!("      new: {}", s(&n["display"]));
            }
            for d in upgrade["dropped"].as_array().into_iter().flatten() {
                println!("      dropped: {}", s(&d["display"]));
            }
        }
        println!(
            "    approvals: {} of {}",
            review["approvals"].as_array().map_or(0, Vec::len),
            s(&review["approvals_required"])
        );
    }
}

fn multipart(parts: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let mut nonce = [0u8; 12];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce);
    let boundary = format!("faxbot-{}", hex::encode(nonce));
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn query(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", segment(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Runs `faxbot plugin …`.
pub fn plugin(args: PluginArgs) -> Result<ExitCode> {
    let api = Api::new(&args.api)?;
    let show = |view: Value| -> Result<ExitCode> {
        if api.json {
            print_json(&view)?;
        } else {
            print_plugin(&view);
        }
        Ok(ExitCode::SUCCESS)
    };
    match args.command {
        PluginCommand::List => {
            let list = api.get("/v1/plugins")?;
            if api.json {
                print_json(&list)?;
            } else {
                let rows: Vec<Vec<String>> = list["plugins"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        vec![
                            s(&p["id"]),
                            s(&p["version"]),
                            s(&p["state"]),
                            s(&p["health"]),
                            s(&p["pending_version"]),
                            s(&p["tenant"]),
                            s(&p["restarts"]),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "ID", "VERSION", "STATE", "HEALTH", "PENDING", "TENANT", "RESTARTS",
                    ],
                    &rows,
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Show { id } => show(api.get(&format!("/v1/plugins/{}", segment(&id)))?),
        PluginCommand::Install {
            package,
            signature,
            tenant,
            force,
            reason,
        } => {
            let signature = signature.unwrap_or_else(|| {
                let mut p = package.clone().into_os_string();
                p.push(".sig");
                p.into()
            });
            let fxp = std::fs::read(&package)
                .with_context(|| format!("reading {}", package.display()))?;
            let sig = std::fs::read(&signature)
                .with_context(|| format!("reading {}", signature.display()))?;
            let (content_type, body) = multipart(&[
                ("package", "plugin.fxp", &fxp),
                ("signature", "plugin.fxp.sig", &sig),
            ]);
            let q = query(&[
                ("tenant", tenant),
                ("force", force.then(|| "true".to_owned())),
                ("reason", reason),
            ]);
            let view = api
                .send(
                    "POST",
                    &format!("/v1/plugins{q}"),
                    Some((&content_type, body)),
                    true,
                )?
                .ok()?;
            show(view)
        }
        PluginCommand::Approve {
            id,
            grants,
            expires_at,
            no_start,
        } => {
            let mut body = json!({});
            if let Some(g) = grants {
                let text = match g.strip_prefix('@') {
                    Some(path) => {
                        std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?
                    }
                    None => g,
                };
                body["grants"] = serde_json::from_str(&text).context("--grants is not JSON")?;
            }
            if let Some(t) = expires_at {
                body["expires_at"] = json!(t);
            }
            if no_start {
                body["start"] = json!(false);
            }
            show(api.post(&format!("/v1/plugins/{}/approve", segment(&id)), Some(body))?)
        }
        PluginCommand::Reject { id, reason } => {
            let out = api.post(
                &format!("/v1/plugins/{}/reject", segment(&id)),
                Some(json!({"reason": reason})),
            )?;
            if api.json {
                print_json(&out)?;
            } else {
                println!("rejected");
            }
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Start { id } => {
            show(api.post(&format!("/v1/plugins/{}/start", segment(&id)), None)?)
        }
        PluginCommand::Stop { id } => {
            show(api.post(&format!("/v1/plugins/{}/stop", segment(&id)), None)?)
        }
        PluginCommand::Restart { id } => {
            show(api.post(&format!("/v1/plugins/{}/restart", segment(&id)), None)?)
        }
        PluginCommand::ClearQuarantine { id } => show(api.post(
            &format!("/v1/plugins/{}/quarantine/clear", segment(&id)),
            None,
        )?),
        PluginCommand::Uninstall { id, purge } => {
            api.delete(&format!("/v1/plugins/{}?purge={purge}", segment(&id)))?;
            if !api.json {
                println!(
                    "uninstalled {id}{}",
                    if purge { " (data purged)" } else { "" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Logs { id, after, limit } => {
            let page = api.get(&format!(
                "/v1/plugins/{}/logs?after={after}&limit={limit}",
                segment(&id)
            ))?;
            if api.json {
                print_json(&page)?;
            } else {
                for l in page["lines"].as_array().into_iter().flatten() {
                    println!("{} {:<6} {}", s(&l["time"]), s(&l["stream"]), s(&l["line"]));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

// ---- keys -----------------------------------------------------------------------------------

/// `faxbot key …`
#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: KeyCommand,
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Make a key; its secret is printed once.
    Create {
        /// A name for people.
        #[arg(long)]
        name: String,
        /// A scope (repeat): plugins:read, plugins:install, plugins:approve, plugins:operate,
        /// trust:manage, audit:read, keys:manage, fax:send, fax:read.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Its tenant (default: the calling key's).
        #[arg(long)]
        tenant: Option<String>,
        /// When it stops working (RFC 3339).
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// The keys this key may see.
    List,
    /// Revoke a key by its id.
    Revoke { id: String },
}

/// Runs `faxbot key …`.
pub fn key(args: KeyArgs) -> Result<ExitCode> {
    let api = Api::new(&args.api)?;
    match args.command {
        KeyCommand::Create {
            name,
            scopes,
            tenant,
            expires_at,
        } => {
            let mut body = json!({"name": name, "scopes": scopes});
            if let Some(t) = tenant {
                body["tenant"] = json!(t);
            }
            if let Some(t) = expires_at {
                body["expires_at"] = json!(t);
            }
            let made = api.post("/v1/keys", Some(body))?;
            if api.json {
                print_json(&made)?;
            } else {
                println!("key: {}", s(&made["key"]));
                eprintln!("(id {}; the key is not shown again)", s(&made["id"]));
            }
        }
        KeyCommand::List => {
            let list = api.get("/v1/keys")?;
            if api.json {
                print_json(&list)?;
            } else {
                let rows: Vec<Vec<String>> = list["keys"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|k| {
                        let scopes = k["scopes"]
                            .as_array()
                            .map(|a| a.iter().map(s).collect::<Vec<_>>().join(","))
                            .unwrap_or_default();
                        let status = if !k["revoked_at"].is_null() {
                            "revoked"
                        } else {
                            "active"
                        };
                        vec![
                            s(&k["id"]),
                            s(&k["name"]),
                            s(&k["tenant"]),
                            status.to_owned(),
                            s(&k["expires_at"]),
                            scopes,
                        ]
                    })
                    .collect();
                table(
                    &["ID", "NAME", "TENANT", "STATUS", "EXPIRES", "SCOPES"],
                    &rows,
                );
            }
        }
        KeyCommand::Revoke { id } => {
            api.delete(&format!("/v1/keys/{}", segment(&id)))?;
            if !api.json {
                println!("revoked {id}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---- trust ----------------------------------------------------------------------------------

/// `faxbot trust …`
#[derive(Debug, Args)]
pub struct TrustArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: TrustCommand,
}

#[derive(Debug, Subcommand)]
enum TrustCommand {
    /// The trusted keys and revocations.
    List,
    /// Trust a publisher key.
    AddKey {
        #[arg(long)]
        publisher: String,
        /// curated, verified or community.
        #[arg(long, default_value = "curated")]
        tier: String,
        /// ed25519, openpgp or sigstore.
        #[arg(long, default_value = "ed25519")]
        scheme: String,
        /// The public key, or @FILE.
        #[arg(long)]
        public_key: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Revoke a key by fingerprint: plugins it signed stop at once.
    RevokeKey {
        fingerprint: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Revoke a package digest: plugins with it stop at once.
    RevokePackage {
        digest: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

/// Runs `faxbot trust …`.
pub fn trust(args: TrustArgs) -> Result<ExitCode> {
    let api = Api::new(&args.api)?;
    let revoke = |body: Value| -> Result<ExitCode> {
        let out = api.post("/v1/trust/revocations", Some(body))?;
        if api.json {
            print_json(&out)?;
        } else {
            let stopped: Vec<String> = out["stopped"]
                .as_array()
                .into_iter()
                .flatten()
                .map(s)
                .collect();
            println!(
                "revoked; stopped: {}",
                if stopped.is_empty() {
                    "none".to_owned()
                } else {
                    stopped.join(", ")
                }
            );
        }
        Ok(ExitCode::SUCCESS)
    };
    match args.command {
        TrustCommand::List => {
            let view = api.get("/v1/trust")?;
            if api.json {
                print_json(&view)?;
            } else {
                let rows: Vec<Vec<String>> = view["keys"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|k| {
                        vec![
                            s(&k["fingerprint"]),
                            s(&k["publisher"]),
                            s(&k["tier"]),
                            s(&k["scheme"]),
                            s(&k["note"]),
                        ]
                    })
                    .collect();
                table(
                    &["FINGERPRINT", "PUBLISHER", "TIER", "SCHEME", "NOTE"],
                    &rows,
                );
                for k in view["revoked_keys"].as_array().into_iter().flatten() {
                    println!("revoked key {}", s(k));
                }
                for p in view["revoked_packages"].as_array().into_iter().flatten() {
                    println!("revoked package {}", s(p));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        TrustCommand::AddKey {
            publisher,
            tier,
            scheme,
            public_key,
            note,
        } => {
            let key = match public_key.strip_prefix('@') {
                Some(path) => {
                    std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?
                }
                None => public_key,
            };
            let out = api.post(
                "/v1/trust/keys",
                Some(json!({"publisher": publisher, "tier": tier, "scheme": scheme, "public_key": key.trim(), "note": note})),
            )?;
            if api.json {
                print_json(&out)?;
            } else {
                println!(
                    "trusted; {} keys in the store",
                    out["keys"].as_array().map_or(0, Vec::len)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        TrustCommand::RevokeKey {
            fingerprint,
            reason,
        } => revoke(json!({"key": fingerprint, "reason": reason})),
        TrustCommand::RevokePackage { digest, reason } => {
            revoke(json!({"package": digest, "reason": reason}))
        }
    }
}

// ---- tenants --------------------------------------------------------------------------------

/// `faxbot tenant …`
#[derive(Debug, Args)]
pub struct TenantArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: TenantCommand,
}

#[derive(Debug, Subcommand)]
enum TenantCommand {
    /// Every tenant.
    List,
    /// Make a tenant.
    Create {
        id: String,
        /// The tenant handles PHI under HIPAA rules.
        #[arg(long)]
        hipaa: bool,
    },
}

/// Runs `faxbot tenant …`.
pub fn tenant(args: TenantArgs) -> Result<ExitCode> {
    let api = Api::new(&args.api)?;
    let out = match args.command {
        TenantCommand::List => api.get("/v1/tenants")?,
        TenantCommand::Create { id, hipaa } => {
            if id.is_empty() {
                bail!("a tenant id is needed");
            }
            api.post("/v1/tenants", Some(json!({"id": id, "hipaa_mode": hipaa})))?
        }
    };
    if api.json {
        print_json(&out)?;
    } else if let Some(list) = out["tenants"].as_array() {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|t| vec![s(&t["id"]), s(&t["hipaa_mode"])])
            .collect();
        table(&["ID", "HIPAA"], &rows);
    } else {
        println!("created tenant {}", s(&out["id"]));
    }
    Ok(ExitCode::SUCCESS)
}
