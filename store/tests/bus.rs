//! The durable outbox: what is published is on disk for each subscriber, survives a reopen,
//! leaves only when acknowledged or discarded, and dead letters can be replayed.

use faxbot_store::{BusEvent, BusStore, FailedAttempt, SqliteStore};

fn event(id: &str, at: u64) -> BusEvent {
    BusEvent {
        id: id.to_owned(),
        topic: "fax.job.delivered".to_owned(),
        body: vec![1, 2, 3, at as u8],
        published_at_ms: at,
    }
}

fn subs(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn published_events_survive_a_reopen_in_order_per_subscriber() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("state.db");
    {
        let store = SqliteStore::open(&path).expect("open");
        store
            .bus_publish(&event("ev_1", 1), &subs(&["plugin:a", "plugin:b"]))
            .expect("publish");
        store
            .bus_publish(&event("ev_2", 2), &subs(&["plugin:a"]))
            .expect("publish");
        // The same id again is not a second event.
        store
            .bus_publish(&event("ev_1", 1), &subs(&["plugin:a"]))
            .expect("publish again");
    }
    let store = SqliteStore::open(&path).expect("reopen");
    assert_eq!(store.bus_backlog("plugin:a").expect("backlog"), 2);
    assert_eq!(
        store.bus_subscribers_with_backlog().expect("subs"),
        subs(&["plugin:a", "plugin:b"])
    );
    let head = store.bus_head("plugin:a").expect("head").expect("an entry");
    assert_eq!(head.event.id, "ev_1");
    assert_eq!(head.event.body, vec![1, 2, 3, 1]);
    store.bus_acknowledge("plugin:a", head.seq).expect("ack");
    let next = store.bus_head("plugin:a").expect("head").expect("an entry");
    assert_eq!(next.event.id, "ev_2");
    assert!(next.seq > head.seq);
    // Each subscriber's stream counts 1, 2, ... whatever other subscribers got.
    assert_eq!((head.sequence, next.sequence), (1, 2));
    // b still owes ev_1, so its event is still there.
    assert_eq!(
        store
            .bus_head("plugin:b")
            .expect("head")
            .expect("b")
            .event
            .id,
        "ev_1"
    );
}

#[test]
fn a_dead_letter_leaves_the_queue_and_can_be_replayed_or_discarded() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SqliteStore::open(&dir.path().join("state.db")).expect("open");
    for (id, at) in [("ev_1", 1), ("ev_2", 2)] {
        store
            .bus_publish(&event(id, at), &subs(&["plugin:a"]))
            .expect("publish");
    }
    let head = store.bus_head("plugin:a").expect("head").expect("entry");
    store
        .bus_fail(
            "plugin:a",
            head.seq,
            &FailedAttempt {
                attempts: 3,
                next_at_ms: 99,
                error: "timeout".into(),
                dead: true,
            },
        )
        .expect("fail");
    // The next event is not held up by the dead one.
    assert_eq!(
        store
            .bus_head("plugin:a")
            .expect("head")
            .expect("entry")
            .event
            .id,
        "ev_2"
    );
    let dead = store.bus_dead_letters("plugin:a", 10).expect("dead");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(dead[0].last_error.as_deref(), Some("timeout"));
    assert!(store.bus_replay("plugin:a", "ev_1", 5).expect("replay"));
    assert!(
        !store
            .bus_replay("plugin:a", "ev_1", 5)
            .expect("not dead now")
    );
    let replayed = store.bus_head("plugin:a").expect("head").expect("entry");
    assert_eq!((replayed.event.id.as_str(), replayed.attempts), ("ev_1", 0));
    store
        .bus_fail(
            "plugin:a",
            replayed.seq,
            &FailedAttempt {
                attempts: 1,
                next_at_ms: 9,
                error: "refused".into(),
                dead: true,
            },
        )
        .expect("fail");
    assert!(store.bus_discard("plugin:a", "ev_1").expect("discard"));
    assert!(
        store
            .bus_dead_letters("plugin:a", 10)
            .expect("dead")
            .is_empty()
    );
    assert_eq!(store.bus_backlog("plugin:a").expect("backlog"), 1);
}

#[test]
fn forgetting_a_subscriber_drops_what_it_is_owed_and_nothing_of_the_others() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SqliteStore::open(&dir.path().join("state.db")).expect("open");
    store
        .bus_publish(&event("ev_1", 1), &subs(&["plugin:a", "plugin:b"]))
        .expect("publish");
    let head = store.bus_head("plugin:a").expect("head").expect("entry");
    store
        .bus_fail(
            "plugin:a",
            head.seq,
            &FailedAttempt {
                attempts: 1,
                next_at_ms: 0,
                error: "x".into(),
                dead: true,
            },
        )
        .expect("dead letter");
    store
        .bus_publish(&event("ev_2", 2), &subs(&["plugin:a"]))
        .expect("publish");
    store.bus_forget("plugin:a").expect("forget");
    assert_eq!(store.bus_backlog("plugin:a").expect("backlog"), 0);
    assert!(
        store
            .bus_dead_letters("plugin:a", 10)
            .expect("dead")
            .is_empty()
    );
    assert_eq!(
        store
            .bus_head("plugin:b")
            .expect("head")
            .expect("b")
            .event
            .id,
        "ev_1"
    );
    // A new subscriber of the same name starts its sequence again.
    store
        .bus_publish(&event("ev_3", 3), &subs(&["plugin:a"]))
        .expect("publish");
    assert_eq!(
        store
            .bus_head("plugin:a")
            .expect("head")
            .expect("a")
            .sequence,
        1
    );
}
