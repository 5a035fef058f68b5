//! Feeds arbitrary bytes through everything that reads a peer's bytes: the incremental
//! frame decoder (with arbitrary split points), the blocking reader, and every message
//! decoder, under both compatibility rules. Any panic, abort or stack overflow is a bug.
#![no_main]

use faxbot_plugin_abi::codec::{self, Compat};
use faxbot_plugin_abi::frame::{self, FrameDecoder};
use faxbot_plugin_abi::methods::*;
use faxbot_plugin_abi::{Envelope, HandshakeReply, Hello, Method, RpcError};
use libfuzzer_sys::fuzz_target;

fn bodies_of<M: Method>(body: &[u8]) {
    for compat in [Compat::Exact, Compat::OlderPeer] {
        let _ = codec::decode_with::<M::Request>(M::NAME, body, compat);
        let _ = codec::decode_with::<Result<M::Response, RpcError>>(M::NAME, body, compat);
    }
}

fn every_decoder(body: &[u8]) {
    if let Ok(envelope) = Envelope::decode(body) {
        bodies_of::<DeliverEvent>(&envelope.body);
        bodies_of::<ServeRoute>(&envelope.body);
        bodies_of::<HttpFetch>(&envelope.body);
        bodies_of::<EmitEvent>(&envelope.body);
    }
    let _ = Hello::decode(body);
    let _ = HandshakeReply::decode(body);
    bodies_of::<DeliverEvent>(body);
    bodies_of::<ServeRoute>(body);
    bodies_of::<RunJob>(body);
    bodies_of::<Health>(body);
    bodies_of::<Shutdown>(body);
    bodies_of::<HttpFetch>(body);
    bodies_of::<KvGet>(body);
    bodies_of::<KvPut>(body);
    bodies_of::<KvDelete>(body);
    bodies_of::<KvList>(body);
    bodies_of::<Log>(body);
    bodies_of::<Metric>(body);
    bodies_of::<EmitEvent>(body);
    bodies_of::<FaxJobStatus>(body);
}

fuzz_target!(|data: &[u8]| {
    // First byte picks the split size so the decoder sees frames arriving in pieces.
    let (split, stream) = match data.split_first() {
        Some((s, rest)) => (usize::from(*s).max(1), rest),
        None => return,
    };
    let mut decoder = FrameDecoder::new(64 * 1024);
    for piece in stream.chunks(split) {
        decoder.extend(piece);
        loop {
            match decoder.next_frame() {
                Ok(Some(body)) => every_decoder(&body),
                Ok(None) | Err(_) => break,
            }
        }
    }
    let _ = decoder.finish();
    let mut reader = stream;
    while let Ok(Some(body)) = frame::read_frame(&mut reader, 64 * 1024) {
        every_decoder(&body);
    }
    every_decoder(stream);
});
