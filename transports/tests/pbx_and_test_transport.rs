//! Asterisk (AMI) and FreeSWITCH (ESL) against loopback servers that speak the line
//! protocols, and the in-process test transport.

use faxbot_transports::asterisk::{Asterisk, AsteriskConfig};
use faxbot_transports::freeswitch::{FreeSwitch, FreeSwitchConfig};
use faxbot_transports::test_transport::{TestTiming, TestTransport};
use faxbot_transports::transport::Health;
use faxbot_transports::{
    CallbackEvent, Document, DocumentKind, E164, FaxStatus, FaxTransport, SendError, SendRequest,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::broadcast;

fn request(number: &str) -> SendRequest {
    SendRequest {
        job_id: "fx_job7".into(),
        to: E164::parse(number).expect("number"),
        document: Document {
            kind: DocumentKind::Tiff,
            bytes: Arc::from(&b"II*\0"[..]),
            path: Some("/var/lib/faxbot/spool/fx_job7.tiff".into()),
            url: None,
        },
        callback_url: None,
        attempt: 1,
    }
}

async fn next_event(events: &mut broadcast::Receiver<CallbackEvent>) -> CallbackEvent {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event in time")
        .expect("event")
}

async fn read_block<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.expect("read") == 0 {
            return lines;
        }
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            if lines.is_empty() {
                continue;
            }
            return lines;
        }
        lines.push(line);
    }
}

fn value<'a>(block: &'a [String], name: &str) -> Option<&'a str> {
    block
        .iter()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

async fn wait_healthy(transport: &dyn FaxTransport) {
    for _ in 0..100 {
        if transport.health().await.expect("health") == Health::Ok {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never connected");
}

/// A fake Asterisk: banner, login (secret `s3cret`), Originate → Success, then
/// OriginateResponse and the dialplan's UserEvent FaxResult.
async fn fake_ami(fax_status: &'static str) -> (u16, tokio::task::JoinHandle<Vec<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        write
            .write_all(b"Asterisk Call Manager/9.0.0\r\n")
            .await
            .expect("banner");
        let mut seen = Vec::new();
        loop {
            let block = read_block(&mut reader).await;
            if block.is_empty() {
                return seen;
            }
            let action = value(&block, "ActionID").unwrap_or("").to_owned();
            match value(&block, "Action") {
                Some("Login") => {
                    let ok = value(&block, "Secret") == Some("s3cret");
                    let reply = if ok {
                        format!(
                            "Response: Success\r\nActionID: {action}\r\nMessage: Authentication accepted\r\n\r\n"
                        )
                    } else {
                        format!(
                            "Response: Error\r\nActionID: {action}\r\nMessage: Authentication failed\r\n\r\n"
                        )
                    };
                    write
                        .write_all(reply.as_bytes())
                        .await
                        .expect("login reply");
                }
                Some("Originate") => {
                    let job = block
                        .iter()
                        .find_map(|l| l.strip_prefix("Variable: JOBID="))
                        .unwrap_or("")
                        .to_owned();
                    seen.push(block.clone());
                    let script = format!(
                        "Event: FullyBooted\r\nStatus: Fully Booted\r\n\r\n\
                         Response: Success\r\nActionID: {action}\r\nMessage: Originate successfully queued\r\n\r\n\
                         Event: OriginateResponse\r\nActionID: {action}\r\nResponse: Success\r\nReason: 4\r\nUniqueid: 1733.1\r\n\r\n\
                         Event: UserEvent\r\nUserEvent: FaxResult\r\nJobID: {job}\r\nStatus: {fax_status}\r\nError: OK\r\nPages: 2\r\n\r\n"
                    );
                    write.write_all(script.as_bytes()).await.expect("script");
                }
                _ => {}
            }
        }
    });
    (port, task)
}

fn ami_config(port: u16, secret: &str) -> AsteriskConfig {
    AsteriskConfig {
        host: "127.0.0.1".into(),
        port,
        username: "faxbot".into(),
        password: secret.into(),
        context: "faxbot-send".into(),
        trunk: "trunk-endpoint".into(),
        answer_timeout: Duration::from_secs(3),
        max_backoff: Duration::from_secs(2),
    }
}

#[tokio::test]
async fn asterisk_originates_into_the_fax_context_and_follows_the_result_events() {
    let (port, server) = fake_ami("SUCCESS").await;
    let asterisk = Asterisk::start(ami_config(port, "s3cret")).expect("start");
    wait_healthy(&asterisk).await;
    let mut events = asterisk.subscribe().expect("events");
    let sent = asterisk.send(&request("+15551230001")).await.expect("sent");
    assert!(sent.provider_id.starts_with("faxbot:fx_job7:1:"));
    let sending = next_event(&mut events).await;
    assert_eq!(sending.status, FaxStatus::Sending);
    let done = next_event(&mut events).await;
    assert_eq!((done.status, done.pages), (FaxStatus::Delivered, Some(2)));
    assert_eq!(done.job_id.as_deref(), Some("fx_job7"));
    drop(asterisk);
    let originate = &server.await.expect("server")[0];
    assert_eq!(
        value(originate, "Channel"),
        Some("PJSIP/15551230001@trunk-endpoint")
    );
    assert_eq!(value(originate, "Context"), Some("faxbot-send"));
    assert_eq!(value(originate, "Async"), Some("true"));
    assert!(originate.contains(&"Variable: FAXFILE=/var/lib/faxbot/spool/fx_job7.tiff".to_owned()));
}

#[tokio::test]
async fn asterisk_with_a_wrong_secret_reports_it_and_sends_nothing() {
    let (port, _server) = fake_ami("SUCCESS").await;
    let asterisk = Asterisk::start(ami_config(port, "wrong")).expect("start");
    tokio::time::sleep(Duration::from_millis(300)).await;
    match asterisk.health().await.expect("health") {
        Health::Degraded(why) => assert!(why.contains("login refused"), "{why}"),
        Health::Ok => panic!("a refused login is not healthy"),
    }
    let err = asterisk
        .send(&request("+15551230001"))
        .await
        .expect_err("not logged in");
    assert!(err.nothing_was_sent(), "{err}");
}

#[tokio::test]
async fn asterisk_refuses_header_injection_in_the_document_path() {
    let (port, _server) = fake_ami("SUCCESS").await;
    let asterisk = Asterisk::start(ami_config(port, "s3cret")).expect("start");
    wait_healthy(&asterisk).await;
    let mut evil = request("+15551230001");
    evil.document.path = Some("/tmp/x\r\nAction: Command\r\nCommand: core stop now".into());
    let err = asterisk.send(&evil).await.expect_err("refused");
    assert!(matches!(err, SendError::Refused { .. }), "{err}");
}

/// A fake FreeSWITCH event socket: auth/request, `auth ClueCon2`, the event subscription,
/// bgapi → `+OK Job-UUID`, then BACKGROUND_JOB and CHANNEL_HANGUP_COMPLETE events.
async fn fake_esl(fax_success: &'static str) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        write
            .write_all(b"Content-Type: auth/request\n\n")
            .await
            .expect("greet");
        let mut commands = Vec::new();
        loop {
            let block = read_block(&mut reader).await;
            if block.is_empty() {
                return commands;
            }
            let command = block[0].clone();
            commands.push(block.join("\n"));
            if command.starts_with("auth ") {
                let text = if command == "auth ClueCon2" {
                    "+OK accepted"
                } else {
                    "-ERR invalid"
                };
                write
                    .write_all(
                        format!("Content-Type: command/reply\nReply-Text: {text}\n\n").as_bytes(),
                    )
                    .await
                    .expect("auth reply");
            } else if command.starts_with("event ") {
                write
                    .write_all(b"Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n")
                    .await
                    .expect("event reply");
            } else if command.starts_with("bgapi ") {
                let uuid = value(&block, "Job-UUID").unwrap_or("").to_owned();
                let job = command
                    .split("faxbot_job_id=")
                    .nth(1)
                    .and_then(|r| r.split([',', '}']).next())
                    .unwrap_or("")
                    .to_owned();
                write
                    .write_all(format!("Content-Type: command/reply\nReply-Text: +OK Job-UUID: {uuid}\nJob-UUID: {uuid}\n\n").as_bytes())
                    .await
                    .expect("bgapi reply");
                let bg_body = "+OK 5a1e-chan\n";
                let bg = format!(
                    "Event-Name: BACKGROUND_JOB\nJob-UUID: {uuid}\nContent-Length: {}\n\n{bg_body}",
                    bg_body.len()
                );
                let hangup = format!(
                    "Event-Name: CHANNEL_HANGUP_COMPLETE\nvariable_faxbot_job_id: {job}\nvariable_fax_success: {fax_success}\nvariable_fax_result_text: OK%20done\nvariable_fax_document_transferred_pages: 3\n"
                );
                for event in [bg, hangup] {
                    write
                        .write_all(
                            format!(
                                "Content-Length: {}\nContent-Type: text/event-plain\n\n{event}",
                                event.len()
                            )
                            .as_bytes(),
                        )
                        .await
                        .expect("event");
                }
            }
        }
    });
    (port, task)
}

fn esl_config(port: u16) -> FreeSwitchConfig {
    FreeSwitchConfig {
        host: "127.0.0.1".into(),
        port,
        password: "ClueCon2".into(),
        gateway: "gw_trunk".into(),
        caller_id: "15550000001".into(),
        t38: true,
        answer_timeout: Duration::from_secs(3),
        max_backoff: Duration::from_secs(2),
    }
}

#[tokio::test]
async fn freeswitch_bgapi_originate_txfax_and_fax_success_events() {
    let (port, server) = fake_esl("1").await;
    let fs = FreeSwitch::start(esl_config(port)).expect("start");
    wait_healthy(&fs).await;
    let mut events = fs.subscribe().expect("events");
    let sent = fs.send(&request("+15551230001")).await.expect("sent");
    assert_eq!(sent.provider_id.len(), 36, "a UUID");
    assert_eq!(next_event(&mut events).await.status, FaxStatus::Sending);
    let done = next_event(&mut events).await;
    assert_eq!((done.status, done.pages), (FaxStatus::Delivered, Some(3)));
    drop(fs);
    let commands = server.await.expect("server");
    let bgapi = commands
        .iter()
        .find(|c| c.starts_with("bgapi"))
        .expect("bgapi");
    assert!(
        bgapi.contains(
            "sofia/gateway/gw_trunk/15551230001 &txfax(/var/lib/faxbot/spool/fx_job7.tiff)"
        ),
        "{bgapi}"
    );
    assert!(bgapi.contains("fax_enable_t38=true"), "{bgapi}");
}

#[tokio::test]
async fn freeswitch_fax_success_zero_is_a_failure() {
    let (port, _server) = fake_esl("0").await;
    let fs = FreeSwitch::start(esl_config(port)).expect("start");
    wait_healthy(&fs).await;
    let mut events = fs.subscribe().expect("events");
    fs.send(&request("+15551230001")).await.expect("sent");
    let _sending = next_event(&mut events).await;
    assert_eq!(next_event(&mut events).await.status, FaxStatus::Failed);
}

#[tokio::test]
async fn freeswitch_reconnects_after_the_server_goes_away() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // First connection: greet, then close at once.
    let first = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("accept");
        let _ = stream.write_all(b"Content-Type: auth/request\n\n").await;
        let mut buf = [0u8; 64];
        let _ = stream.read(&mut buf).await;
        drop(stream);
        listener
    });
    let fs = FreeSwitch::start(esl_config(port)).expect("start");
    let listener = first.await.expect("first");
    drop(listener);
    let (_port2, _server) = {
        // The same port again, now a working server (the transport retries with backoff).
        let relisten = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("rebind");
        drop(relisten);
        fake_esl_on(port).await
    };
    wait_healthy(&fs).await;
}

async fn fake_esl_on(port: u16) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        write
            .write_all(b"Content-Type: auth/request\n\n")
            .await
            .expect("greet");
        loop {
            let block = read_block(&mut reader).await;
            if block.is_empty() {
                return;
            }
            write
                .write_all(b"Content-Type: command/reply\nReply-Text: +OK\n\n")
                .await
                .expect("reply");
        }
    });
    (port, task)
}

#[tokio::test]
async fn the_test_transport_delivers_within_seconds_and_fails_numbers_ending_0000() {
    let transport = TestTransport::new(TestTiming {
        step: Duration::from_millis(20),
    });
    let mut events = transport.subscribe().expect("events");
    let ok = transport
        .send(&request("+15551230001"))
        .await
        .expect("sent");
    let mut last = FaxStatus::Queued;
    while !last.is_final() {
        let event = next_event(&mut events).await;
        assert_eq!(event.provider_id, ok.provider_id);
        assert!(event.status.rank() > last.rank(), "forward only");
        last = event.status;
    }
    assert_eq!(last, FaxStatus::Delivered);
    let bad = transport
        .send(&request("+15551230000"))
        .await
        .expect("sent");
    let mut last = FaxStatus::Queued;
    while !last.is_final() {
        last = next_event(&mut events).await.status;
    }
    assert_eq!(last, FaxStatus::Failed);
    assert_eq!(
        transport
            .status(&bad.provider_id)
            .await
            .expect("status")
            .status,
        FaxStatus::Failed
    );
}

#[tokio::test]
async fn the_test_transport_cancels_a_fax_in_flight_and_not_a_finished_one() {
    let transport = TestTransport::new(TestTiming {
        step: Duration::from_millis(200),
    });
    let sent = transport
        .send(&request("+15551230001"))
        .await
        .expect("sent");
    transport
        .cancel(&sent.provider_id)
        .await
        .expect("cancelled");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        transport
            .status(&sent.provider_id)
            .await
            .expect("status")
            .status,
        FaxStatus::Cancelled,
        "a cancelled fax never moves on"
    );
    assert!(transport.cancel(&sent.provider_id).await.is_err());
}
