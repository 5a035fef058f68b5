//! Session benchmarks: round trip of an empty call host -> jailed plugin -> host (p50/p99
//! with 1 in flight, calls/s with 1, 16 and 256 in flight) beside a raw socketpair
//! ping-pong of the same size between two plain processes (the floor); start-to-ready of a
//! jailed plugin; host memory per running plugin and for many idle ones.
//!
//! `cargo bench -p faxbot-supervisor --bench session_rtt` (root for the jail; without root
//! the plugin runs unjailed and the summary says so). Under `cargo test` (no `--bench`
//! argument) it does a quick smoke pass.

use faxbot_plugin_abi::frame::DEFAULT_MAX_FRAME;
use faxbot_plugin_abi::methods::{Health, HealthCheck};
use faxbot_plugin_abi::version::VersionRange;
use faxbot_plugin_abi::{ABI_VERSION, Envelope, GrantedCapabilities, Limits};
use faxbot_policy::capability::{Denial, DenialRule};
use faxbot_supervisor::capability::{
    AuditSink, CapabilityCheck, CapabilityHandler, DeniedCall, HandlerFuture,
};
use faxbot_supervisor::handshake::{self, HandshakeTerms};
use faxbot_supervisor::jail::spec::{Bind, JailSpec, Program};
use faxbot_supervisor::launch::{JailedLauncher, Launched, Launcher, UnjailedLauncherForTests};
use faxbot_supervisor::session::{Session, SessionHooks};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PLUGIN: &str = env!("CARGO_BIN_EXE_faxbot-test-plugin");

const ID: &str = "bench-plugin";

struct DenyAll;
impl CapabilityCheck for DenyAll {
    fn permits(&self, _: &str, _: &Envelope) -> Result<(), Denial> {
        Err(Denial {
            capability: None,
            rule: DenialRule::NoCapabilityCovers,
        })
    }
}
impl CapabilityHandler for DenyAll {
    fn handle<'a>(&'a self, _: &'a str, _: Envelope) -> HandlerFuture<'a> {
        Box::pin(async {
            Err(faxbot_plugin_abi::RpcError::denied(
                "nothing is granted in the bench",
            ))
        })
    }
}
impl AuditSink for DenyAll {
    fn denied(&self, _: &DeniedCall) {}
}

fn launcher(jailed: bool, args: Vec<String>) -> Box<dyn Launcher> {
    if jailed {
        let plugin = std::path::Path::new(PLUGIN);
        let mut argv = vec!["faxbot-test-plugin".to_owned()];
        argv.extend(args);
        let mut spec = JailSpec::new(Program::Path(plugin.into()), argv);
        spec.ro_binds.push(Bind {
            host: plugin.parent().expect("plugin dir").into(),
            jail: "/app".into(),
        });
        Box::new(JailedLauncher {
            jail: faxbot_jail::binary::locate()
                .expect("faxbot-jail is built (cargo build -p faxbot-jail)"),
            program: plugin.into(),
            spec,
        })
    } else {
        Box::new(UnjailedLauncherForTests {
            program: PLUGIN.into(),
            args,
        })
    }
}

async fn ready(jailed: bool, in_flight: u32) -> (Launched, Session) {
    let mut launched = launcher(jailed, vec!["echo".into(), ID.into()])
        .launch()
        .expect("plugin starts");
    let terms = HandshakeTerms {
        plugin_id: ID.to_owned(),
        host_abi: VersionRange::exactly(ABI_VERSION),
        instance_id: "bench".to_owned(),
        capabilities: GrantedCapabilities::default(),
        config: Vec::new(),
        limits: Limits {
            max_in_flight: in_flight,
            ..Limits::default()
        },
        hello_deadline: Duration::from_secs(10),
    };
    let agreed = handshake::accept(&mut launched.stream, &terms)
        .await
        .expect("handshake");
    let stream = std::mem::replace(
        &mut launched.stream,
        tokio::net::UnixStream::pair().expect("pair").0,
    );
    let hooks = SessionHooks {
        check: Arc::new(DenyAll),
        handler: Arc::new(DenyAll),
        audit: Arc::new(DenyAll),
    };
    let session = Session::start(stream, ID.to_owned(), agreed.max_frame, in_flight, hooks);
    (launched, session)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The floor: blocking ping-pong of `size` bytes with a plain echo process.
fn floor(size: usize, rounds: usize) -> (Duration, Duration, f64) {
    let mut launched = UnjailedLauncherForTests {
        program: PLUGIN.into(),
        args: vec!["raw-echo".into(), size.to_string()],
    }
    .launch()
    .expect("echo starts");
    let std_stream = std::mem::replace(
        &mut launched.stream,
        tokio::net::UnixStream::pair().expect("pair").0,
    )
    .into_std()
    .expect("std stream");
    std_stream.set_nonblocking(false).expect("blocking");
    let mut socket = std_stream;
    let message = vec![7u8; size];
    let mut back = vec![0u8; size];
    let mut samples = Vec::with_capacity(rounds);
    let begun = Instant::now();
    for _ in 0..rounds {
        let start = Instant::now();
        socket.write_all(&message).expect("write");
        socket.read_exact(&mut back).expect("read");
        samples.push(start.elapsed());
    }
    let rate = rounds as f64 / begun.elapsed().as_secs_f64();
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99), rate)
}

/// `rounds` calls one after another; each one's round trip, sorted.
async fn round_trips(session: &Session, rounds: usize) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        session
            .call::<Health>(&HealthCheck {}, Duration::from_secs(10))
            .await
            .expect("health call");
        samples.push(start.elapsed());
    }
    samples.sort();
    samples
}

async fn throughput(session: &Arc<Session>, in_flight: usize, total: usize) -> f64 {
    let begun = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..in_flight {
        let session = session.clone();
        let each = total / in_flight;
        workers.push(tokio::spawn(async move {
            for _ in 0..each {
                session
                    .call::<Health>(&HealthCheck {}, Duration::from_secs(10))
                    .await
                    .expect("health call");
            }
        }));
    }
    for worker in workers {
        worker.await.expect("worker");
    }
    (total / in_flight * in_flight) as f64 / begun.elapsed().as_secs_f64()
}

/// What a stretch of calls cost, from the kernel's own figures: CPU time and voluntary
/// context switches (each one a sleep and a wake-up), for the host (this process, every
/// thread) and the plugin (every process in its cgroup). Syscalls per call are counted from
/// outside (`strace -c -f`, see docs/benchmarks.md): `/proc/PID/io` does not count socket I/O.
#[derive(Clone, Copy, Default)]
struct Costs {
    host_cpu: Duration,
    host_switches: u64,
    plugin_cpu: Duration,
    plugin_switches: u64,
}

fn proc_field(path: &str, key: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Sums a field over every thread of process `pid`.
fn per_thread_sum(pid: &str, file: &str, key: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .map(|t| {
            let tid = t.file_name();
            proc_field(
                &format!("/proc/{pid}/task/{}/{file}", tid.to_string_lossy()),
                key,
            )
        })
        .sum()
}

fn costs(plugin: Option<&faxbot_supervisor::plugin_cgroup::PluginCgroup>) -> Costs {
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .expect("getrusage");
    let tv = |tv: nix::sys::time::TimeVal| {
        Duration::from_micros(
            u64::try_from(tv.tv_sec()).unwrap_or(0) * 1_000_000
                + u64::try_from(tv.tv_usec()).unwrap_or(0),
        )
    };
    let mut costs = Costs {
        host_cpu: tv(usage.user_time()) + tv(usage.system_time()),
        host_switches: per_thread_sum("self", "status", "voluntary_ctxt_switches:"),
        ..Costs::default()
    };
    if let Some(cgroup) = plugin {
        costs.plugin_cpu = cgroup.cpu().unwrap_or_default();
        for pid in cgroup.pids() {
            costs.plugin_switches +=
                per_thread_sum(&pid.to_string(), "status", "voluntary_ctxt_switches:");
        }
    }
    costs
}

/// One line of per-call costs between two snapshots.
fn cost_line(label: &str, before: Costs, after: Costs, calls: usize) -> String {
    let n = calls.max(1) as f64;
    let per = |a: u64, b: u64| b.saturating_sub(a) as f64 / n;
    let per_us = |a: Duration, b: Duration| us(b.saturating_sub(a)) / n;
    format!(
        "SUMMARY session_cost_per_call_{label}: host {:.2} us CPU, {:.2} sleeps; plugin {:.2} us CPU, {:.2} sleeps",
        per_us(before.host_cpu, after.host_cpu),
        per(before.host_switches, after.host_switches),
        per_us(before.plugin_cpu, after.plugin_cpu),
        per(before.plugin_switches, after.plugin_switches),
    )
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Only `calls` calls with `in_flight` in flight, for counting syscalls and wake-ups from
/// outside (`SESSION_RTT_ONLY=256 strace -c -f target/release/deps/session_rtt-* --bench`).
async fn only(jailed: bool, in_flight: usize, calls: usize) {
    let (_child, session) = ready(jailed, 256).await;
    let session = Arc::new(session);
    let rate = throughput(&session, in_flight, calls).await;
    println!("{calls} calls, {in_flight} in flight: {rate:.0} calls/s");
}

async fn run(full: bool, jailed: bool) {
    if let Ok(only_in_flight) = std::env::var("SESSION_RTT_ONLY") {
        let in_flight = only_in_flight
            .parse()
            .expect("SESSION_RTT_ONLY: calls in flight");
        return only(jailed, in_flight, if full { 100_000 } else { 1_000 }).await;
    }
    let rounds = if full { 20_000 } else { 200 };
    let request = Envelope::request::<Health>(1, &HealthCheck {}, 5_000, DEFAULT_MAX_FRAME)
        .and_then(|e| e.encode(DEFAULT_MAX_FRAME))
        .expect("encode");
    let size = request.len() + 4;
    let (floor_p50, floor_p99, floor_rate) = floor(size, rounds);

    let (child, session) = ready(jailed, 256).await;
    let session = Arc::new(session);
    let cgroup = child
        .child
        .id()
        .and_then(faxbot_supervisor::plugin_cgroup::PluginCgroup::of_jail);
    // The caller is a task on the runtime, as every caller in the host is (request
    // handlers, the event bus); the same loop on `block_on`'s own thread, which is not a
    // runtime worker, adds a cross-thread wake-up per call and is reported beside it.
    let before = costs(cgroup.as_ref());
    let on_worker = {
        let session = session.clone();
        tokio::spawn(async move { round_trips(&session, rounds).await })
            .await
            .expect("round trips")
    };
    let after = costs(cgroup.as_ref());
    let on_block_on = round_trips(&session, rounds).await;
    let (p50, p99) = (percentile(&on_worker, 0.5), percentile(&on_worker, 0.99));
    let where_ = if jailed {
        "jailed"
    } else {
        "UNJAILED (not root)"
    };
    println!(
        "floor socketpair ping-pong {size} B: p50 {:.1} us, p99 {:.1} us, {:.0} round trips/s",
        us(floor_p50),
        us(floor_p99),
        floor_rate
    );
    println!(
        "SUMMARY session_rtt_1_in_flight ({where_}): p50 {:.1} us, p99 {:.1} us; floor p50 {:.1} us; ratio p50 {:.2}x",
        us(p50),
        us(p99),
        us(floor_p50),
        p50.as_secs_f64() / floor_p50.as_secs_f64()
    );
    println!(
        "SUMMARY session_rtt_1_in_flight_from_block_on ({where_}): p50 {:.1} us, p99 {:.1} us; ratio p50 {:.2}x",
        us(percentile(&on_block_on, 0.5)),
        us(percentile(&on_block_on, 0.99)),
        percentile(&on_block_on, 0.5).as_secs_f64() / floor_p50.as_secs_f64()
    );
    println!("{}", cost_line("rtt_1_in_flight", before, after, rounds));
    if jailed {
        // The cost of billing each call's CPU from the cgroup: the same plugin kind, one
        // session metered, one not, alternating so both see the same machine load.
        let (metered_child, metered) = ready(jailed, 16).await;
        let cgroup = metered_child
            .child
            .id()
            .and_then(faxbot_supervisor::plugin_cgroup::PluginCgroup::of_jail)
            .expect("the jailed plugin's cgroup");
        let metered = metered.with_cpu_meter(Arc::new(cgroup));
        let (mut plain, mut billed) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            for (meter, samples) in [(false, &mut plain), (true, &mut billed)] {
                let target = if meter { &metered } else { &*session };
                let start = Instant::now();
                target
                    .call::<Health>(&HealthCheck {}, Duration::from_secs(10))
                    .await
                    .expect("health call");
                samples.push(start.elapsed());
            }
        }
        plain.sort();
        billed.sort();
        println!(
            "SUMMARY session_rtt_cpu_billing (jailed): p50 {:.1} us with the cgroup CPU read before and after, {:.1} us without; +{:.1} us",
            us(percentile(&billed, 0.5)),
            us(percentile(&plain, 0.5)),
            us(percentile(&billed, 0.5)) - us(percentile(&plain, 0.5))
        );
        drop(metered_child);
    }
    for in_flight in [1usize, 16, 256] {
        let total = if full {
            200_000.max(in_flight * 100)
        } else {
            in_flight * 4
        };
        let before = costs(cgroup.as_ref());
        let rate = throughput(&session, in_flight, total).await;
        let after = costs(cgroup.as_ref());
        println!(
            "SUMMARY session_calls_per_s_{in_flight}_in_flight ({where_}): {rate:.0} calls/s; floor {floor_rate:.0}/s; ratio {:.2}x",
            rate / floor_rate
        );
        println!(
            "{}",
            cost_line(
                &format!("{in_flight}_in_flight"),
                before,
                after,
                total / in_flight * in_flight
            )
        );
    }

    let starts = if full { 50 } else { 3 };
    let mut times = Vec::new();
    for _ in 0..starts {
        let begun = Instant::now();
        let started = ready(jailed, 16).await;
        times.push(begun.elapsed());
        drop(started);
    }
    times.sort();
    println!(
        "SUMMARY session_start_to_ready ({where_}): median {:.2} ms, p99 {:.2} ms over {starts}",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3
    );

    let idle = if full { 200 } else { 5 };
    let before = rss_kib();
    let mut running = Vec::new();
    for _ in 0..idle {
        running.push(ready(jailed, 64).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = rss_kib();
    println!(
        "SUMMARY session_idle_plugins ({where_}): {idle} plugins cost the host {} KiB RSS, {:.1} KiB per plugin",
        after.saturating_sub(before),
        after.saturating_sub(before) as f64 / idle as f64
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let jailed = nix::unistd::Uid::effective().is_root();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(full, jailed));
}
