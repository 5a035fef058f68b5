//! The store against a real SQLite file: migrations, each state change, and the package
//! area's crash-safety sweep.

use faxbot_policy::capability::{Capability, Grant, Grants};
use faxbot_policy::package::{PackageDigest, PackageFile};
use faxbot_policy::signature::Scheme;
use faxbot_policy::trust::{TrustTier, Verified};
use faxbot_store::{
    ApiKeyRecord, ApprovalRecord, DesiredState, KvWrite, PackageArea, PluginRecord, SqliteStore,
    Store, StoreError, Tenant, VersionRecord,
};
use std::collections::{BTreeMap, BTreeSet};

fn verified(byte: u8) -> Verified {
    Verified {
        digest: PackageDigest([byte; 32]),
        key: "ed25519:00".into(),
        publisher: "acme".into(),
        tier: TrustTier::Curated,
        scheme: Scheme::Ed25519,
    }
}

fn version(plugin: &str, v: &str, byte: u8) -> VersionRecord {
    VersionRecord {
        plugin_id: plugin.into(),
        version: v.into(),
        verified: verified(byte),
        manifest: format!("id = \"{plugin}\"\nversion = \"{v}\"\n").into_bytes(),
        files_dir: format!("{plugin}/{}", hex::encode([byte; 32])),
        uploaded_by: "k1".into(),
        uploaded_at_ms: 10,
        grants: None,
        approved_at_ms: None,
        note: None,
    }
}

fn plugin(id: &str, tenant: Option<&str>) -> PluginRecord {
    PluginRecord {
        id: id.into(),
        tenant: tenant.map(str::to_owned),
        desired: DesiredState::PendingApproval,
        reason: None,
        active_version: None,
        pending_version: Some("1.0.0".into()),
        created_at_ms: 10,
        updated_at_ms: 10,
    }
}

fn grants(id: &str, v: &str) -> Grants {
    Grants::approve_all(
        id,
        semver::Version::parse(v).expect("version"),
        vec![Capability::KvQuota(100)],
        None,
    )
}

#[test]
fn a_fresh_database_is_migrated_to_the_latest_schema_and_reopens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.db");
    let store = SqliteStore::open(&path).expect("open");
    assert_eq!(
        store.schema_version().expect("version"),
        faxbot_store::migrations::LATEST
    );
    store.ping().expect("ping");
    drop(store);
    let again = SqliteStore::open(&path).expect("reopen");
    assert_eq!(
        again.schema_version().expect("version"),
        faxbot_store::migrations::LATEST
    );
}

#[test]
fn a_database_from_a_newer_binary_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.db");
    drop(SqliteStore::open(&path).expect("open"));
    let conn = rusqlite_connection(&path);
    conn.execute("INSERT INTO schema_version (version) VALUES (999)", [])
        .expect("bump");
    drop(conn);
    match SqliteStore::open(&path) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!(found, 999);
            assert_eq!(supported, faxbot_store::migrations::LATEST);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

fn rusqlite_connection(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("sqlite")
}

#[test]
fn tenants_and_keys_are_unique_and_a_revocation_keeps_its_first_time() {
    let store = SqliteStore::open_in_memory().expect("open");
    let tenant = Tenant {
        id: "clinic-a".into(),
        hipaa_mode: true,
        created_at_ms: 1,
    };
    store.create_tenant(&tenant).expect("tenant");
    assert!(matches!(
        store.create_tenant(&tenant),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.tenant("clinic-a").expect("read"), Some(tenant));
    let key = ApiKeyRecord {
        id: "k1".into(),
        name: "first".into(),
        tenant: Some("clinic-a".into()),
        scopes: vec!["plugins:read".into(), "plugins:install".into()],
        secret_hash: vec![1, 2, 3],
        created_at_ms: 5,
        created_by: None,
        expires_at_ms: Some(99),
        revoked_at_ms: None,
    };
    store.create_api_key(&key).expect("key");
    assert!(matches!(
        store.create_api_key(&key),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.api_key("k1").expect("read"), Some(key.clone()));
    assert!(store.revoke_api_key("k1", 50).expect("revoke"));
    assert!(store.revoke_api_key("k1", 60).expect("revoke again"));
    assert_eq!(
        store
            .api_key("k1")
            .expect("read")
            .and_then(|k| k.revoked_at_ms),
        Some(50)
    );
    assert!(!store.revoke_api_key("nope", 1).expect("unknown"));
    let unknown_tenant = ApiKeyRecord {
        id: "k2".into(),
        tenant: Some("no-such-tenant".into()),
        ..key
    };
    assert!(
        store.create_api_key(&unknown_tenant).is_err(),
        "a key's tenant must exist (foreign key)"
    );
}

#[test]
fn install_approve_upgrade_reject_and_uninstall_move_whole_states() {
    let store = SqliteStore::open_in_memory().expect("open");
    let v1 = version("demo", "1.0.0", 1);
    store
        .install_new(&plugin("demo", None), &v1)
        .expect("install");
    assert!(matches!(
        store.install_new(&plugin("demo", None), &v1),
        Err(StoreError::Conflict(_))
    ));
    let approval = ApprovalRecord {
        plugin_id: "demo".into(),
        version: "1.0.0".into(),
        principal: "k1".into(),
        grants: vec![Grant::permanent(Capability::KvQuota(100))],
        at_ms: 20,
    };
    store.record_approval(&approval).expect("approval");
    assert!(matches!(
        store.record_approval(&approval),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.approvals("demo", "1.0.0").expect("list").len(), 1);
    let replaced = store
        .activate_pending(
            "demo",
            "1.0.0",
            &grants("demo", "1.0.0"),
            DesiredState::Running,
            30,
        )
        .expect("activate");
    assert!(replaced.is_none());
    let p = store.plugin("demo").expect("read").expect("exists");
    assert_eq!(p.desired, DesiredState::Running);
    assert_eq!(p.active_version.as_deref(), Some("1.0.0"));
    assert_eq!(p.pending_version, None);
    assert!(store.approvals("demo", "1.0.0").expect("list").is_empty());

    // An upgrade that waits: the old version stays active.
    let v2 = version("demo", "2.0.0", 2);
    store.add_pending_version(&v2, 40).expect("pending");
    assert!(matches!(
        store.add_pending_version(&version("demo", "3.0.0", 3), 41),
        Err(StoreError::Conflict(_))
    ));
    let p = store.plugin("demo").expect("read").expect("exists");
    assert_eq!(p.active_version.as_deref(), Some("1.0.0"));
    assert_eq!(p.pending_version.as_deref(), Some("2.0.0"));
    // Rejected: the plugin keeps its active version.
    let removed = store.reject_pending("demo", "2.0.0").expect("reject");
    assert_eq!(removed.version, "2.0.0");
    let p = store.plugin("demo").expect("read").expect("exists");
    assert_eq!(p.pending_version, None);
    assert_eq!(store.versions("demo").expect("versions").len(), 1);

    // Approved this time: the old version's row goes and is handed back for file removal.
    store.add_pending_version(&v2, 50).expect("pending");
    let old = store
        .activate_pending(
            "demo",
            "2.0.0",
            &grants("demo", "2.0.0"),
            DesiredState::Running,
            60,
        )
        .expect("activate")
        .expect("old version");
    assert_eq!(old.version, "1.0.0");
    let versions = store.versions("demo").expect("versions");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].grants, Some(grants("demo", "2.0.0")));

    // Uninstall with purge takes kv data; without, it stays for a reinstall.
    store.kv_put("demo", "k", b"value", 1024).expect("kv");
    assert_eq!(store.kv_usage("demo").expect("usage"), 6);
    let gone = store.uninstall("demo", false).expect("uninstall");
    assert_eq!(gone.len(), 1);
    assert!(store.plugin("demo").expect("read").is_none());
    assert_eq!(
        store.kv_get("demo", "k").expect("kv"),
        Some(b"value".to_vec())
    );
    store
        .install_new(&plugin("demo", None), &v1)
        .expect("again");
    store.uninstall("demo", true).expect("purge");
    assert_eq!(store.kv_get("demo", "k").expect("kv"), None);
}

#[test]
fn rejecting_a_first_install_removes_the_plugin() {
    let store = SqliteStore::open_in_memory().expect("open");
    store
        .install_new(&plugin("demo", None), &version("demo", "1.0.0", 1))
        .expect("install");
    store.reject_pending("demo", "1.0.0").expect("reject");
    assert!(store.plugin("demo").expect("read").is_none());
    assert!(store.all_versions().expect("all").is_empty());
}

fn files() -> BTreeMap<String, PackageFile> {
    let mut files = BTreeMap::new();
    files.insert(
        "bin/run".into(),
        PackageFile::new(b"#!/bin/true\n".to_vec(), true),
    );
    files.insert("README".into(), PackageFile::new(b"hello".to_vec(), false));
    files
}

#[test]
fn staged_files_move_in_with_one_rename_and_keep_their_modes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let area = PackageArea::open(&dir.path().join("plugins")).expect("area");
    let staged = area.stage(&files()).expect("stage");
    let files_dir = PackageArea::files_dir_for("demo", "ab12").expect("dir");
    let path = area.commit(staged, &files_dir).expect("commit");
    let mode = |p: &str| {
        std::fs::metadata(path.join(p))
            .expect("file")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("bin/run"), 0o755);
    assert_eq!(mode("README"), 0o644);
    let staging = dir.path().join("plugins/.staging");
    assert_eq!(
        std::fs::read_dir(staging).expect("staging").count(),
        0,
        "nothing left in staging"
    );
    area.remove(&files_dir).expect("remove");
    assert!(!dir.path().join("plugins/demo").exists());
}

#[test]
fn a_dropped_staging_directory_is_removed_and_sweep_clears_crash_leftovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let area = PackageArea::open(&dir.path().join("plugins")).expect("area");
    drop(area.stage(&files()).expect("stage"));
    assert_eq!(
        std::fs::read_dir(dir.path().join("plugins/.staging"))
            .expect("staging")
            .count(),
        0
    );
    // A crash after staging (files left in staging) and one between rename and commit
    // (a version directory no row names).
    let leftover = area.stage(&files()).expect("stage");
    std::mem::forget(leftover);
    let kept = PackageArea::files_dir_for("demo", "aa").expect("dir");
    area.commit(area.stage(&files()).expect("stage"), &kept)
        .expect("commit");
    let orphan = PackageArea::files_dir_for("demo", "bb").expect("dir");
    area.commit(area.stage(&files()).expect("stage"), &orphan)
        .expect("commit");
    let report = area.sweep(&BTreeSet::from([kept.clone()])).expect("sweep");
    assert_eq!(report.staging, 1);
    assert_eq!(report.orphans, vec![orphan.clone()]);
    assert!(area.path_of(&kept).expect("path").join("bin/run").is_file());
    assert!(!area.path_of(&orphan).expect("path").exists());
}

#[test]
fn package_paths_that_escape_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let area = PackageArea::open(&dir.path().join("plugins")).expect("area");
    for bad in ["../evil", "/etc/passwd", "a/../../b", "a\0b", ""] {
        let mut files = BTreeMap::new();
        files.insert(bad.to_owned(), PackageFile::new(b"x".to_vec(), false));
        assert!(
            matches!(area.stage(&files), Err(StoreError::BadPath(_))),
            "{bad:?} must be refused"
        );
    }
    assert!(PackageArea::files_dir_for("..", "aa").is_err());
    assert!(PackageArea::files_dir_for("demo", "../x").is_err());
    assert!(area.path_of("../outside").is_err());
}

#[test]
fn kv_put_refuses_a_write_over_the_quota_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SqliteStore::open(&dir.path().join("faxbot.db")).expect("open");
    assert_eq!(
        store.kv_put("p", "a", b"12345", 10).expect("put"),
        KvWrite::Written { total_bytes: 6 }
    );
    // Rewriting a key counts its new size only, not old plus new.
    assert_eq!(
        store.kv_put("p", "a", b"123456789", 10).expect("put"),
        KvWrite::Written { total_bytes: 10 }
    );
    assert_eq!(
        store.kv_put("p", "b", b"", 10).expect("put"),
        KvWrite::OverQuota {
            total_bytes_after: 11,
            quota: 10
        }
    );
    assert_eq!(store.kv_get("p", "b").expect("get"), None);
    assert_eq!(store.kv_usage("p").expect("usage"), 10);
    // Another plugin's data does not count.
    assert!(matches!(
        store.kv_put("q", "a", b"123456789", 10).expect("put"),
        KvWrite::Written { .. }
    ));
}

#[test]
fn racing_kv_writes_cannot_both_pass_a_quota_only_one_fits() {
    let dir = tempfile::tempdir().expect("dir");
    let store =
        std::sync::Arc::new(SqliteStore::open(&dir.path().join("faxbot.db")).expect("open"));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            std::thread::spawn(move || {
                store
                    .kv_put("p", &format!("k{i}"), &[0u8; 98], 100)
                    .expect("put")
            })
        })
        .collect();
    let written = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .filter(|w| matches!(w, KvWrite::Written { .. }))
        .count();
    assert_eq!(written, 1);
    assert_eq!(store.kv_usage("p").expect("usage"), 100);
}

#[test]
fn kv_list_pages_by_prefix_in_byte_order_with_after_exclusive() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SqliteStore::open(&dir.path().join("faxbot.db")).expect("open");
    for key in [
        "job/2",
        "job/10",
        "job/1",
        "jobs",
        "job0",
        "a",
        "job/\u{e9}",
        "JOB/3",
    ] {
        store.kv_put("p", key, b"v", 1 << 20).expect("put");
    }
    store.kv_put("other", "job/9", b"v", 1 << 20).expect("put");
    let page = store.kv_list("p", "job/", None, 2).expect("list");
    assert_eq!(page.keys, vec!["job/1", "job/10"]);
    assert!(page.more);
    let page = store.kv_list("p", "job/", Some("job/10"), 2).expect("list");
    assert_eq!(page.keys, vec!["job/2", "job/\u{e9}"]);
    assert!(!page.more);
    let page = store.kv_list("p", "", None, 100).expect("list");
    assert_eq!(page.keys.len(), 8);
    assert_eq!(page.keys[0], "JOB/3");
    assert!(store.kv_delete("p", "job/1").expect("delete"));
    assert!(!store.kv_delete("p", "job/1").expect("delete again"));
    assert_eq!(
        store.kv_list("p", "job/1", None, 10).expect("list").keys,
        vec!["job/10"]
    );
}
