//! Durable audit appends per second, side by side in one run:
//!
//! * `fsync latency`: what one `fdatasync` of a small append costs on this disk;
//! * `naive file`: the baseline — every record written and fdatasynced on its own, under a
//!   mutex (1 and 64 writers);
//! * `sqlite WAL, one tx per record`: rusqlite (bundled), `journal_mode=WAL`,
//!   `synchronous=FULL`, one transaction per record under a mutex (1 and 64 writers);
//! * `sqlite WAL, group commit`: the same database fed by one committer thread that inserts
//!   each batch in one transaction (64 writers);
//! * `AuditTrail`: the real trail — HMAC chain, redaction, group commit (1 and 64 writers).
//!
//! Every variant computes the same HMAC chain so the comparison is about storage and
//! batching, not crypto. Run: `cargo bench -p faxbot-host --bench audit` (release build).
//! `AUDIT_BENCH_SECS` sets the seconds per variant (default 3).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use faxbot_audit::keys::KeyMaterial;
use faxbot_audit::{
    Action, Actor, AuditEvent, AuditTrail, CorrelationId, Outcome, Target, TenantId,
    WithholdStrings,
};
use ring::hmac;

/// A representative record: ~300 bytes on disk, like a capability call's audit line.
fn event(writer: usize, n: u64) -> AuditEvent {
    AuditEvent::new(
        Actor::Plugin(format!("com.example.writer{writer}")),
        Action::new("capability.http.fetch").expect("action"),
        Outcome::Success,
    )
    .with_tenant(TenantId::new("clinic-7").expect("tenant"))
    .with_target(Target::new("egress", "hooks.example.com:443").expect("target"))
    .with_correlation_id(CorrelationId::new(format!("req-{writer}-{n}")).expect("corr"))
    .with_details(serde_json::json!({"status": 200, "bytes": 1834, "ms": 41}))
}

fn line(writer: usize, n: u64) -> Vec<u8> {
    let e = event(writer, n);
    let mut body = serde_json::to_vec(&serde_json::json!({
        "seq": n, "time": "2026-11-24T22:36:08.123456Z", "actor": e.actor.to_string(),
        "tenant": "clinic-7", "action": e.action.as_str(), "target": "egress:hooks.example.com:443",
        "outcome": "success", "correlation_id": format!("req-{writer}-{n}"), "details": e.details,
    }))
    .expect("json");
    body.push(b'\n');
    body
}

/// The chain every variant keeps: MAC = HMAC(k, prev || body).
struct Chain {
    key: hmac::Key,
    prev: [u8; 32],
}

impl Chain {
    fn new() -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &[7u8; 32]),
            prev: [0u8; 32],
        }
    }

    fn link(&mut self, body: &[u8]) -> String {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(&self.prev);
        ctx.update(body);
        self.prev.copy_from_slice(ctx.sign().as_ref());
        hex::encode(self.prev)
    }
}

struct Result_ {
    name: String,
    writers: usize,
    records: u64,
    secs: f64,
}

impl Result_ {
    fn per_sec(&self) -> f64 {
        self.records as f64 / self.secs
    }
}

/// Runs `writers` OS threads calling `append` until the deadline; returns the record count.
fn run_threads(
    name: &str,
    writers: usize,
    secs: f64,
    append: Arc<dyn Fn(usize, u64) + Send + Sync>,
) -> Result_ {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let append = append.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    append(w, n);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let records = handles.into_iter().map(|h| h.join().expect("writer")).sum();
    Result_ {
        name: name.into(),
        writers,
        records,
        secs: start.elapsed().as_secs_f64(),
    }
}

fn naive_file(dir: &Path, writers: usize, secs: f64) -> Result_ {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("naive-{writers}.log")))
        .expect("open");
    let state = Arc::new(Mutex::new((file, Chain::new())));
    run_threads(
        "naive file: fdatasync per record",
        writers,
        secs,
        Arc::new(move |w, n| {
            let body = line(w, n);
            let mut guard = state.lock().expect("lock");
            let (file, chain) = &mut *guard;
            let mac = chain.link(&body);
            file.write_all(mac.as_bytes()).expect("write");
            file.write_all(b" ").expect("write");
            file.write_all(&body).expect("write");
            file.sync_data().expect("fdatasync");
        }),
    )
}

fn sqlite_open(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("sqlite open");
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .expect("wal");
    assert_eq!(mode, "wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("sync");
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, mac TEXT NOT NULL, body TEXT NOT NULL)",
    )
    .expect("schema");
    conn
}

fn sqlite_per_record(dir: &Path, writers: usize, secs: f64) -> Result_ {
    let conn = sqlite_open(&dir.join(format!("per-record-{writers}.db")));
    let state = Arc::new(Mutex::new((conn, Chain::new(), 0i64)));
    run_threads(
        "sqlite WAL: one tx per record",
        writers,
        secs,
        Arc::new(move |w, n| {
            let body = line(w, n);
            let mut guard = state.lock().expect("lock");
            let (conn, chain, seq) = &mut *guard;
            let mac = chain.link(&body);
            *seq += 1;
            conn.execute(
                "INSERT INTO audit (seq, mac, body) VALUES (?1, ?2, ?3)",
                rusqlite::params![*seq, mac, body],
            )
            .expect("insert");
        }),
    )
}

type Reply = mpsc::SyncSender<()>;

fn sqlite_group_commit(dir: &Path, writers: usize, secs: f64) -> Result_ {
    let mut conn = sqlite_open(&dir.join(format!("group-{writers}.db")));
    let (tx, rx) = mpsc::channel::<(Vec<u8>, Reply)>();
    let committer = std::thread::spawn(move || {
        let mut chain = Chain::new();
        let mut seq = 0i64;
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while let Ok(next) = rx.try_recv() {
                batch.push(next);
            }
            let txn = conn.transaction().expect("begin");
            {
                let mut insert = txn
                    .prepare_cached("INSERT INTO audit (seq, mac, body) VALUES (?1, ?2, ?3)")
                    .expect("prepare");
                for (body, _) in &batch {
                    seq += 1;
                    let mac = chain.link(body);
                    insert
                        .execute(rusqlite::params![seq, mac, body])
                        .expect("insert");
                }
            }
            txn.commit().expect("commit");
            for (_, reply) in batch {
                let _ = reply.send(());
            }
        }
    });
    let result = run_threads(
        "sqlite WAL: group commit",
        writers,
        secs,
        Arc::new(move |w, n| {
            let (reply, done) = mpsc::sync_channel(1);
            tx.send((line(w, n), reply)).expect("send");
            done.recv().expect("ack");
        }),
    );
    committer.join().expect("committer");
    result
}

fn audit_trail(dir: &Path, writers: usize, secs: f64) -> Result_ {
    let state = dir.join(format!("trail-{writers}"));
    let keys = KeyMaterial::load_or_create(&state).expect("keys");
    let (trail, _) =
        AuditTrail::open(&state.join("audit"), &keys, Arc::new(WithholdStrings)).expect("open");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let records: u64 = runtime.block_on(async {
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let trail = trail.clone();
                tokio::spawn(async move {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        trail.record(event(w, n)).await.expect("record");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.expect("task");
        }
        total
    });
    Result_ {
        name: "AuditTrail: group commit".into(),
        writers,
        records,
        secs: start.elapsed().as_secs_f64(),
    }
}

/// fdatasync latency of a 300-byte append, and of a 300-byte overwrite inside the file.
fn fsync_latency(dir: &Path) -> (Vec<f64>, Vec<f64>) {
    let samples = |append: bool| {
        let path = dir.join(if append {
            "lat-append"
        } else {
            "lat-overwrite"
        });
        let mut file: File = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .expect("open");
        if !append {
            file.write_all(&vec![0u8; 1 << 20]).expect("fill");
            file.sync_all().expect("sync");
        }
        let buf = [b'x'; 300];
        let mut out = Vec::new();
        for i in 0..2000u64 {
            let t = Instant::now();
            if append {
                file.write_all(&buf).expect("write");
            } else {
                use std::os::unix::fs::FileExt;
                file.write_all_at(&buf, (i * 300) % (1 << 20))
                    .expect("write");
            }
            file.sync_data().expect("fdatasync");
            out.push(t.elapsed().as_secs_f64() * 1e6);
        }
        out.sort_by(f64::total_cmp);
        out
    };
    (samples(true), samples(false))
}

/// How fast a whole trail is read back and checked (what `verify`, `query` and `export` cost).
fn verify_speed(state: &Path) {
    let keys = KeyMaterial::load_or_create(state).expect("keys");
    let dir = state.join("audit");
    let bytes = std::fs::metadata(dir.join(faxbot_audit::TRAIL_FILE_NAME))
        .expect("stat")
        .len();
    let start = Instant::now();
    let ok = faxbot_audit::verify_trail(&dir, &keys.audit_chain_key()).expect("verify");
    let secs = start.elapsed().as_secs_f64();
    println!(
        "verify_trail: {} records ({:.1} MB) in {:.2} s = {:.0} records/s, {:.0} MB/s",
        ok.records,
        bytes as f64 / 1e6,
        secs,
        ok.records as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run briefly then.
    let benching = std::env::args().any(|a| a == "--bench");
    let secs: f64 = std::env::var("AUDIT_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 3.0 } else { 0.2 });
    let tmp = tempfile::tempdir_in(
        std::env::var_os("AUDIT_BENCH_DIR").map_or_else(std::env::temp_dir, Into::into),
    )
    .expect("tempdir");
    let dir = tmp.path();

    let (append, overwrite) = fsync_latency(dir);
    println!("fdatasync latency over 2000 samples (µs): p50 / p90 / p99 / max");
    println!(
        "  300-byte append:    {:>7.1} / {:>7.1} / {:>7.1} / {:>7.1}",
        pct(&append, 0.5),
        pct(&append, 0.9),
        pct(&append, 0.99),
        pct(&append, 1.0)
    );
    println!(
        "  300-byte overwrite: {:>7.1} / {:>7.1} / {:>7.1} / {:>7.1}",
        pct(&overwrite, 0.5),
        pct(&overwrite, 0.9),
        pct(&overwrite, 0.99),
        pct(&overwrite, 1.0)
    );

    let mut results = Vec::new();
    for writers in [1, 64] {
        results.push(naive_file(dir, writers, secs));
        results.push(sqlite_per_record(dir, writers, secs));
        results.push(sqlite_group_commit(dir, writers, secs));
        results.push(audit_trail(dir, writers, secs));
    }
    verify_speed(&dir.join("trail-64"));
    println!();
    println!("| variant | writers | records | durable appends/s |");
    println!("|---|---:|---:|---:|");
    for r in &results {
        println!(
            "| {} | {} | {} | {:.0} |",
            r.name,
            r.writers,
            r.records,
            r.per_sec()
        );
    }
}
