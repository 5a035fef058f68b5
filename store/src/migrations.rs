//! Versioned schema migrations. Migration `n` (1-based) brings the schema from version
//! `n - 1` to `n`; each runs in its own transaction with the version bump. A database whose
//! version is above [`LATEST`] was written by a newer binary and is refused.
//!
//! The statements are standard SQL that SQLite and PostgreSQL both accept: `TEXT`,
//! `BIGINT`, `BOOLEAN`-as-`INTEGER`, `BYTEA`-free (binary values as hex text), explicit
//! primary keys, no rowid tricks.

/// The schema, one step at a time. Never edit a released step: add a new one.
pub const MIGRATIONS: &[&str] = &[
    // 1: tenants, API keys, plugins, versions, approvals, plugin kv data.
    "CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        hipaa_mode INTEGER NOT NULL,
        created_at_ms BIGINT NOT NULL
    );
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        tenant_id TEXT NULL REFERENCES tenants(id),
        scopes TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        created_by TEXT NULL,
        expires_at_ms BIGINT NULL,
        revoked_at_ms BIGINT NULL
    );
    CREATE TABLE plugins (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NULL REFERENCES tenants(id),
        desired TEXT NOT NULL,
        reason TEXT NULL,
        active_version TEXT NULL,
        pending_version TEXT NULL,
        created_at_ms BIGINT NOT NULL,
        updated_at_ms BIGINT NOT NULL
    );
    CREATE TABLE plugin_versions (
        plugin_id TEXT NOT NULL REFERENCES plugins(id),
        version TEXT NOT NULL,
        verified TEXT NOT NULL,
        manifest TEXT NOT NULL,
        files_dir TEXT NOT NULL,
        uploaded_by TEXT NOT NULL,
        uploaded_at_ms BIGINT NOT NULL,
        grants TEXT NULL,
        approved_at_ms BIGINT NULL,
        note TEXT NULL,
        PRIMARY KEY (plugin_id, version)
    );
    CREATE TABLE approvals (
        plugin_id TEXT NOT NULL,
        version TEXT NOT NULL,
        principal TEXT NOT NULL,
        grants TEXT NOT NULL,
        at_ms BIGINT NOT NULL,
        PRIMARY KEY (plugin_id, version, principal),
        FOREIGN KEY (plugin_id, version) REFERENCES plugin_versions(plugin_id, version)
    );
    CREATE TABLE plugin_kv (
        plugin_id TEXT NOT NULL,
        kv_key TEXT NOT NULL,
        kv_value TEXT NOT NULL,
        bytes BIGINT NOT NULL,
        PRIMARY KEY (plugin_id, kv_key)
    );",
    // 2: fax jobs, the callback idempotency keys, write-only secrets.
    "CREATE TABLE fax_jobs (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NULL,
        direction TEXT NOT NULL,
        transport TEXT NOT NULL,
        remote_sealed TEXT NULL,
        local_sealed TEXT NULL,
        status TEXT NOT NULL,
        provider_id TEXT NULL,
        pages BIGINT NULL,
        failure TEXT NULL,
        attempt BIGINT NOT NULL,
        document_id TEXT NULL,
        token_hash TEXT NULL,
        token_expires_ms BIGINT NULL,
        created_at_ms BIGINT NOT NULL,
        updated_at_ms BIGINT NOT NULL
    );
    CREATE INDEX fax_jobs_by_provider ON fax_jobs (transport, provider_id);
    CREATE INDEX fax_jobs_by_tenant ON fax_jobs (tenant_id, created_at_ms);
    CREATE TABLE fax_callbacks (
        idempotency_key TEXT PRIMARY KEY,
        at_ms BIGINT NOT NULL
    );
    CREATE TABLE secrets (
        scope TEXT NOT NULL,
        name TEXT NOT NULL,
        sealed TEXT NOT NULL,
        updated_at_ms BIGINT NOT NULL,
        PRIMARY KEY (scope, name)
    );",
    // 3: the event bus's durable outbox (events already projected: no PHI).
    "CREATE TABLE bus_events (
        id TEXT PRIMARY KEY,
        topic TEXT NOT NULL,
        body TEXT NOT NULL,
        published_at_ms BIGINT NOT NULL
    );
    CREATE TABLE bus_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        subscriber TEXT NOT NULL,
        event_id TEXT NOT NULL REFERENCES bus_events(id),
        attempts BIGINT NOT NULL,
        next_at_ms BIGINT NOT NULL,
        last_error TEXT NULL,
        dead BIGINT NOT NULL,
        sequence BIGINT NOT NULL,
        UNIQUE (subscriber, event_id)
    );
    CREATE TABLE bus_cursors (
        subscriber TEXT PRIMARY KEY,
        last_sequence BIGINT NOT NULL
    );
    CREATE INDEX bus_outbox_by_subscriber ON bus_outbox (subscriber, dead, seq);
    CREATE INDEX bus_outbox_by_event ON bus_outbox (event_id);",
    // 4: plugin jobs' last runs.
    "CREATE TABLE plugin_jobs (
        plugin_id TEXT NOT NULL,
        job TEXT NOT NULL,
        last_scheduled_ms BIGINT NULL,
        last_started_ms BIGINT NULL,
        last_finished_ms BIGINT NULL,
        last_outcome TEXT NULL,
        last_summary TEXT NULL,
        PRIMARY KEY (plugin_id, job)
    );",
    // 5: who may call a plugin's routes, as set at approval.
    "CREATE TABLE plugin_route_access (
        plugin_id TEXT PRIMARY KEY,
        public_routes TEXT NOT NULL,
        scope TEXT NOT NULL
    );",
    // 6: the platform's outbound webhooks.
    "CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NULL,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL
    );",
    // 7: admin-set plugin configuration (JSON object of the manifest's [config] keys).
    "CREATE TABLE plugin_config (
        plugin_id TEXT PRIMARY KEY,
        config_json TEXT NOT NULL,
        updated_at_ms BIGINT NOT NULL
    );",
];

/// The schema version this binary writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;
