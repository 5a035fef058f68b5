//! The async framing over a real Unix socketpair, as the host and SDK use it.
#![cfg(feature = "tokio")]

use faxbot_plugin_abi::frame::{self, read_frame_async, write_frame_async};
use faxbot_plugin_abi::methods::{Health, HealthCheck};
use faxbot_plugin_abi::{Envelope, FrameError};
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;

#[tokio::test]
async fn envelope_crosses_a_socketpair_in_one_frame() {
    let (mut a, mut b) = UnixStream::pair().expect("socketpair");
    let envelope = Envelope::request::<Health>(9, &HealthCheck {}, 250, frame::DEFAULT_MAX_FRAME)
        .expect("encode");
    let body = envelope.encode(frame::DEFAULT_MAX_FRAME).expect("encode");
    write_frame_async(&mut a, &body, frame::DEFAULT_MAX_FRAME)
        .await
        .expect("write");
    let got = read_frame_async(&mut b, frame::DEFAULT_MAX_FRAME)
        .await
        .expect("read")
        .expect("frame");
    assert_eq!(Envelope::decode(&got).expect("decode"), envelope);
}

#[tokio::test]
async fn peer_closing_mid_frame_is_a_truncation_error() {
    let (mut a, mut b) = UnixStream::pair().expect("socketpair");
    a.write_all(&100u32.to_le_bytes()).await.expect("write");
    a.write_all(b"only a little").await.expect("write");
    drop(a);
    let err = read_frame_async(&mut b, frame::DEFAULT_MAX_FRAME)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        FrameError::Truncated {
            got: 17,
            expected: 104
        }
    ));
}

#[tokio::test]
async fn oversized_prefix_is_refused_without_waiting_for_the_body() {
    let (mut a, mut b) = UnixStream::pair().expect("socketpair");
    // The writer stays open: the reader must not wait for 16 MiB that never comes.
    a.write_all(&(frame::HARD_MAX_FRAME).to_le_bytes())
        .await
        .expect("write");
    let err = read_frame_async(&mut b, 4096).await.unwrap_err();
    assert!(matches!(err, FrameError::TooLarge { max: 4096, .. }));
    drop(a);
}
