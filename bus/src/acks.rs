//! Group commit of acknowledgements: every worker's acks wait together for one store
//! transaction, so fifty subscribers acknowledging at once cost one durable write, not fifty.
//! A worker moves on to its next event only after its ack is committed (so order holds even
//! across a crash).

use faxbot_store::{BusStore, StoreError};
use std::sync::Arc;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Acks a single transaction takes at most.
const BATCH: usize = 512;

type Ack = (String, u64, oneshot::Sender<Result<(), String>>);

/// The committer's handle.
pub(crate) struct AckWriter {
    tx: mpsc::Sender<Ack>,
}

impl AckWriter {
    /// Starts the committing thread over `store`.
    pub(crate) fn start(store: Arc<dyn BusStore>) -> Self {
        let (tx, rx) = mpsc::channel::<Ack>();
        let spawned = std::thread::Builder::new()
            .name("faxbot-bus-acks".into())
            .spawn(move || commit_loop(store.as_ref(), &rx));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "event bus: the ack committer could not start");
        }
        Self { tx }
    }

    /// Commits the ack of `seq` for `subscriber`; resolves once it is durable.
    pub(crate) async fn acknowledge(&self, subscriber: &str, seq: u64) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((subscriber.to_owned(), seq, done))
            .map_err(|_| StoreError::Conflict("the ack committer stopped".into()))?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Conflict(e)),
            Err(_) => Err(StoreError::Conflict("the ack committer stopped".into())),
        }
    }
}

fn commit_loop(store: &dyn BusStore, rx: &mpsc::Receiver<Ack>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(ack) => batch.push(ack),
                Err(_) => break,
            }
        }
        let keys: Vec<(String, u64)> = batch.iter().map(|(s, q, _)| (s.clone(), *q)).collect();
        let outcome = store.bus_acknowledge_many(&keys).map_err(|e| e.to_string());
        for (_, _, done) in batch {
            let _ = done.send(outcome.clone());
        }
    }
}
