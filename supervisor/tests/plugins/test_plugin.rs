//! faxbot-test-plugin: a small plugin speaking the ABI over fd 3, with behaviours (good and
//! hostile) selected by its first argument, for the supervisor's tests and benchmarks.
//!
//! Modes: `echo` (answers health.check and plugin.shutdown), `never-hello`, `bad-hello`,
//! `wrong-abi`, `wrong-id`, `garbage` (junk after the handshake), `oversized` (a frame
//! prefix past the limit), `never-reads` (a write stall: welcomed,
//! then never reads), `crash-mid-call` (exits on the first call), `hang` (reads calls,
//! never answers), `flood` (a 1 MiB line, then lines on stdout for 2.5 s, while serving),
//! `oom` (allocates without end on the first call), `fork-bomb` (spawns
//! threads until refused, then answers health with the count), `kv-caller` (calls kv.get on the host, then answers health with the
//! result's error code), `raw-echo SIZE` (no ABI: echoes SIZE-byte messages, the
//! benchmark floor).
#![allow(unsafe_code)]

use faxbot_plugin_abi::frame::{self, DEFAULT_MAX_FRAME};
use faxbot_plugin_abi::methods::{
    Ack, Health, HealthReport, KvGet, KvGetRequest, Log, LogLevel, LogRecord, Metric, MetricKind,
    MetricSample, Shutdown,
};
use faxbot_plugin_abi::version::VersionRange;
use faxbot_plugin_abi::{ABI_VERSION, AbiVersion, Envelope, HandshakeReply, Hello, Kind, Method};
use std::io::Write;
use std::os::fd::FromRawFd;
use std::os::unix::net::UnixStream;
use std::process::ExitCode;

fn hello(id: &str, abi: VersionRange) -> Hello {
    Hello {
        magic: faxbot_plugin_abi::handshake::MAGIC,
        abi,
        plugin_id: id.to_owned(),
        plugin_version: "0.1.0".to_owned(),
        sdk_name: "faxbot-test-plugin".to_owned(),
        sdk_version: "0".to_owned(),
        max_frame: DEFAULT_MAX_FRAME,
    }
}

fn send(socket: &mut UnixStream, envelope: &Envelope) -> Result<(), String> {
    let body = envelope
        .encode(DEFAULT_MAX_FRAME)
        .map_err(|e| e.to_string())?;
    frame::write_frame(socket, &body, DEFAULT_MAX_FRAME).map_err(|e| e.to_string())
}

fn handshake(socket: &mut UnixStream, hello: &Hello) -> Result<bool, String> {
    let body = hello.encode().map_err(|e| e.to_string())?;
    frame::write_frame(socket, &body, DEFAULT_MAX_FRAME).map_err(|e| e.to_string())?;
    let Some(reply) = frame::read_frame(socket, DEFAULT_MAX_FRAME).map_err(|e| e.to_string())?
    else {
        return Ok(false);
    };
    match HandshakeReply::decode(&reply).map_err(|e| e.to_string())? {
        HandshakeReply::Welcome(_) => Ok(true),
        HandshakeReply::Reject(reject) => {
            eprintln!("rejected: {}", reject.message);
            Ok(false)
        }
    }
}

fn serve(socket: &mut UnixStream, mode: &str) -> Result<(), String> {
    let mut kv_code = String::new();
    let mut backlog = Vec::new();
    if mode == "kv-caller" {
        let request = KvGetRequest {
            key: "counter".into(),
        };
        send(
            socket,
            &Envelope::request::<KvGet>(1, &request, 1000, DEFAULT_MAX_FRAME)
                .map_err(|e| e.to_string())?,
        )?;
        loop {
            let body = frame::read_frame(socket, DEFAULT_MAX_FRAME)
                .map_err(|e| e.to_string())?
                .ok_or("closed")?;
            let envelope = Envelope::decode(&body).map_err(|e| e.to_string())?;
            if envelope.kind == Kind::Response && envelope.id == 1 {
                kv_code = match envelope
                    .decode_response::<KvGet>()
                    .map_err(|e| e.to_string())?
                {
                    Ok(_) => "ok".to_owned(),
                    Err(e) => e.code.name().to_owned(),
                };
                break;
            }
            // A host call that arrived while this one was pending is served afterwards.
            backlog.push(envelope);
        }
    }
    if mode == "cancel-own" {
        let request = KvGetRequest { key: "slow".into() };
        send(
            socket,
            &Envelope::request::<KvGet>(1, &request, 30_000, DEFAULT_MAX_FRAME)
                .map_err(|e| e.to_string())?,
        )?;
        send(socket, &Envelope::cancel(1))?;
    }
    if mode == "notifier" {
        let log = LogRecord {
            level: LogLevel::Info,
            message: "hello from a notification".into(),
            fields: Vec::new(),
        };
        send(
            socket,
            &Envelope::notification::<Log>(&log, DEFAULT_MAX_FRAME).map_err(|e| e.to_string())?,
        )?;
        let kv = KvGetRequest {
            key: "counter".into(),
        };
        send(
            socket,
            &Envelope::notification::<KvGet>(&kv, DEFAULT_MAX_FRAME).map_err(|e| e.to_string())?,
        )?;
        let sample = MetricSample {
            name: "sent".into(),
            kind: MetricKind::Counter,
            value: 1.0,
            labels: Vec::new(),
        };
        send(
            socket,
            &Envelope::notification::<Metric>(&sample, DEFAULT_MAX_FRAME)
                .map_err(|e| e.to_string())?,
        )?;
    }
    backlog.reverse();
    // Reads are buffered (many frames per read). In `echo` mode the answers to frames that
    // arrived together also leave together: they are queued in `out` and written when no
    // whole request is left buffered. Every other mode answers each call at once, as a
    // hostile behaviour may never return to write what was queued.
    let writer = socket.try_clone().map_err(|e| e.to_string())?;
    let mut writer = Batched {
        socket: writer,
        out: Vec::new(),
        batch: mode == "echo",
    };
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, &*socket);
    loop {
        let envelope = if let Some(envelope) = backlog.pop() {
            envelope
        } else {
            if !whole_frame_in(reader.buffer()) {
                writer.flush()?;
            }
            let Some(body) =
                frame::read_frame(&mut reader, DEFAULT_MAX_FRAME).map_err(|e| e.to_string())?
            else {
                writer.flush()?;
                return Ok(());
            };
            Envelope::decode(&body).map_err(|e| e.to_string())?
        };
        if envelope.kind != Kind::Request {
            continue;
        }
        match mode {
            "crash-mid-call" => std::process::exit(3),
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 8 << 20]);
                }
            }
            "fork-bomb" => {
                let mut spawned = 0u32;
                while spawned < 10_000
                    && std::thread::Builder::new()
                        .spawn(|| std::thread::sleep(std::time::Duration::from_secs(60)))
                        .is_ok()
                {
                    spawned += 1;
                }
                kv_code = format!("spawned {spawned}");
            }
            "hang" => continue,
            "stuck" => loop {
                // Blocked in nanosleep, deaf to the socket: only a kill from outside ends it.
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
            "spin" => {
                // 100 ms of CPU, however long a busy host makes that take.
                let cpu = || {
                    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
                        .map(|u| {
                            let t = |tv: nix::sys::time::TimeVal| {
                                std::time::Duration::new(
                                    u64::try_from(tv.tv_sec()).unwrap_or(0),
                                    u32::try_from(tv.tv_usec()).unwrap_or(0) * 1000,
                                )
                            };
                            t(u.user_time()) + t(u.system_time())
                        })
                        .unwrap_or_default()
                };
                let begun = cpu();
                let mut x = 0u64;
                while cpu().saturating_sub(begun) < std::time::Duration::from_millis(100) {
                    for _ in 0..10_000 {
                        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                    }
                }
            }
            "env" => {
                let mut vars: Vec<String> =
                    std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
                vars.sort();
                kv_code = vars.join(" ");
            }
            _ => {}
        }
        if envelope.method == Health::NAME {
            let report = HealthReport {
                ok: mode != "unhealthy",
                detail: kv_code.clone(),
            };
            writer.send(
                &Envelope::response::<Health>(envelope.id, &Ok(report), DEFAULT_MAX_FRAME)
                    .map_err(|e| e.to_string())?,
            )?;
        } else if envelope.method == Shutdown::NAME {
            writer.send(
                &Envelope::response::<Shutdown>(envelope.id, &Ok(Ack {}), DEFAULT_MAX_FRAME)
                    .map_err(|e| e.to_string())?,
            )?;
            writer.flush()?;
            return Ok(());
        } else {
            let error = faxbot_plugin_abi::RpcError::unsupported_method(&envelope.method);
            writer.send(
                &Envelope::error_response(envelope.id, &error, DEFAULT_MAX_FRAME)
                    .map_err(|e| e.to_string())?,
            )?;
        }
    }
}

/// Answers written at once, or (`batch`) queued until [`Batched::flush`].
struct Batched {
    socket: UnixStream,
    out: Vec<u8>,
    batch: bool,
}

impl Batched {
    fn send(&mut self, envelope: &Envelope) -> Result<(), String> {
        let body = envelope
            .encode(DEFAULT_MAX_FRAME)
            .map_err(|e| e.to_string())?;
        self.out
            .extend(frame::frame_bytes(&body, DEFAULT_MAX_FRAME).map_err(|e| e.to_string())?);
        if self.batch { Ok(()) } else { self.flush() }
    }

    fn flush(&mut self) -> Result<(), String> {
        if !self.out.is_empty() {
            self.socket
                .write_all(&self.out)
                .map_err(|e| e.to_string())?;
            self.out.clear();
        }
        Ok(())
    }
}

/// Whether `buffered` holds a whole frame (so reading the next one will not block).
fn whole_frame_in(buffered: &[u8]) -> bool {
    let Some(header) = buffered.get(..frame::HEADER_LEN) else {
        return false;
    };
    let mut len = [0u8; frame::HEADER_LEN];
    len.copy_from_slice(header);
    buffered.len() >= frame::HEADER_LEN + u32::from_le_bytes(len) as usize
}

/// The benchmark floor: echoes fixed-size messages (size in the id argument), no ABI.
fn raw_echo(socket: &mut UnixStream, size: &str) -> Result<(), String> {
    use std::io::Read;
    let size: usize = size.parse().map_err(|e| format!("size {size:?}: {e}"))?;
    let mut buffer = vec![0u8; size.clamp(1, 1 << 20)];
    loop {
        if socket.read_exact(&mut buffer).is_err() {
            return Ok(());
        }
        socket.write_all(&buffer).map_err(|e| e.to_string())?;
    }
}

fn run(mode: &str, id: &str) -> Result<(), String> {
    // SAFETY: fd 3 is the RPC socket the launcher placed there; nothing else in this
    // process owns it.
    let mut socket = unsafe { UnixStream::from_raw_fd(3) };
    let current = VersionRange::exactly(ABI_VERSION);
    match mode {
        "raw-echo" => return raw_echo(&mut socket, id),
        "never-hello" => {
            std::thread::sleep(std::time::Duration::from_secs(60));
            return Ok(());
        }
        "bad-hello" => {
            return frame::write_frame(&mut socket, b"HELO not a hello", DEFAULT_MAX_FRAME)
                .map_err(|e| e.to_string());
        }
        "wrong-abi" => {
            handshake(
                &mut socket,
                &hello(id, VersionRange::exactly(AbiVersion::new(9, 0))),
            )?;
            return Ok(());
        }
        "wrong-id" => {
            handshake(&mut socket, &hello("someone-else", current))?;
            return Ok(());
        }
        _ => {}
    }
    if !handshake(&mut socket, &hello(id, current))? {
        return Err("not welcomed".to_owned());
    }
    match mode {
        "garbage" => {
            socket
                .write_all(&[7, 0, 0, 0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9])
                .map_err(|e| e.to_string())?;
            std::thread::sleep(std::time::Duration::from_secs(60));
            Ok(())
        }
        "never-reads" => {
            std::thread::sleep(std::time::Duration::from_secs(60));
            Ok(())
        }
        "oversized" => {
            socket
                .write_all(&u32::MAX.to_le_bytes())
                .map_err(|e| e.to_string())?;
            std::thread::sleep(std::time::Duration::from_secs(60));
            Ok(())
        }
        "flood" => {
            // A line far past any limit, then a flood of short lines, from a thread so
            // calls are still answered meanwhile.
            std::thread::spawn(|| {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(&vec![b'x'; 1 << 20]);
                let _ = out.write_all(b"\n");
                let begun = std::time::Instant::now();
                let mut n = 0u64;
                while begun.elapsed() < std::time::Duration::from_millis(2500) {
                    if writeln!(out, "flood line {n}").is_err() {
                        return;
                    }
                    n += 1;
                }
                let _ = out.flush();
            });
            serve(&mut socket, mode)
        }
        _ => serve(&mut socket, mode),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("echo", String::as_str);
    let id = args.get(2).map_or("test-plugin", String::as_str);
    match run(mode, id) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("faxbot-test-plugin {mode}: {e}");
            ExitCode::FAILURE
        }
    }
}
