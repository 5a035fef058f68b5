//! `kv.*`: a plugin's own key-value namespace in the core's store. The quota is checked and
//! charged in the same store transaction as the write, so two racing writes cannot both pass
//! a quota only one of them fits (the grant check's earlier look at the quota is only a fast
//! refusal). Keys and values are size-limited; listing is by prefix, in byte order, paged.

use faxbot_store::{KvPage, KvWrite, Store, StoreError};
use std::sync::Arc;

/// Size limits of the kv broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KvLimits {
    /// Longest key, in bytes.
    pub max_key_bytes: usize,
    /// Largest value, in bytes.
    pub max_value_bytes: usize,
    /// Most keys one `kv.list` answers (a larger or zero `limit` is clamped to 1..=this).
    pub max_list: usize,
}

impl Default for KvLimits {
    fn default() -> Self {
        Self {
            max_key_bytes: 512,
            max_value_bytes: 256 * 1024,
            max_list: 1000,
        }
    }
}

/// Why a kv call was refused. Never holds a value; a key only by its length.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KvError {
    /// The key is empty.
    #[error("the key is empty")]
    EmptyKey,
    /// The key is longer than allowed.
    #[error("the key is {len} bytes; keys are at most {max} bytes")]
    KeyTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The value is larger than allowed.
    #[error("the value is {len} bytes; values are at most {max} bytes")]
    ValueTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The write would take the plugin past its quota; nothing was written.
    #[error(
        "kv quota exceeded: the data would hold {total_bytes_after} bytes, the quota is {quota}"
    )]
    OverQuota {
        /// Bytes after the write.
        total_bytes_after: u64,
        /// The quota.
        quota: u64,
    },
    /// The store failed (the detail stays in the core's log, not in the plugin's answer).
    #[error("the core's store is unavailable")]
    Store,
}

/// The kv broker.
#[derive(Clone)]
pub struct KvBroker {
    store: Arc<dyn Store>,
    limits: KvLimits,
}

impl KvBroker {
    /// A broker over `store`.
    pub fn new(store: Arc<dyn Store>, limits: KvLimits) -> Self {
        Self { store, limits }
    }

    /// The value of `key`, if set.
    pub async fn get(&self, plugin_id: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.check_key(key)?;
        let (plugin, key) = (plugin_id.to_owned(), key.to_owned());
        self.blocking(move |store| store.kv_get(&plugin, &key))
            .await
    }

    /// Writes `value` at `key` if the plugin's data then fits `quota` bytes.
    pub async fn put(
        &self,
        plugin_id: &str,
        key: &str,
        value: Vec<u8>,
        quota: u64,
    ) -> Result<u64, KvError> {
        self.check_key(key)?;
        if value.len() > self.limits.max_value_bytes {
            return Err(KvError::ValueTooLarge {
                len: value.len(),
                max: self.limits.max_value_bytes,
            });
        }
        let (plugin, key) = (plugin_id.to_owned(), key.to_owned());
        match self
            .blocking(move |store| store.kv_put(&plugin, &key, &value, quota))
            .await?
        {
            KvWrite::Written { total_bytes } => Ok(total_bytes),
            KvWrite::OverQuota {
                total_bytes_after,
                quota,
            } => Err(KvError::OverQuota {
                total_bytes_after,
                quota,
            }),
        }
    }

    /// Removes `key`; whether it existed.
    pub async fn delete(&self, plugin_id: &str, key: &str) -> Result<bool, KvError> {
        self.check_key(key)?;
        let (plugin, key) = (plugin_id.to_owned(), key.to_owned());
        self.blocking(move |store| store.kv_delete(&plugin, &key))
            .await
    }

    /// Keys with `prefix`, strictly after `after`, at most `limit` (clamped to
    /// `1..=max_list`), in ascending byte order.
    pub async fn list(
        &self,
        plugin_id: &str,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<KvPage, KvError> {
        if prefix.len() > self.limits.max_key_bytes {
            return Err(KvError::KeyTooLong {
                len: prefix.len(),
                max: self.limits.max_key_bytes,
            });
        }
        let limit = usize::try_from(limit)
            .unwrap_or(usize::MAX)
            .clamp(1, self.limits.max_list);
        let (plugin, prefix, after) = (
            plugin_id.to_owned(),
            prefix.to_owned(),
            after.map(str::to_owned),
        );
        self.blocking(move |store| store.kv_list(&plugin, &prefix, after.as_deref(), limit))
            .await
    }

    fn check_key(&self, key: &str) -> Result<(), KvError> {
        if key.is_empty() {
            return Err(KvError::EmptyKey);
        }
        if key.len() > self.limits.max_key_bytes {
            return Err(KvError::KeyTooLong {
                len: key.len(),
                max: self.limits.max_key_bytes,
            });
        }
        Ok(())
    }

    async fn blocking<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, KvError> {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || op(store.as_ref())).await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "kv broker: the store failed");
                Err(KvError::Store)
            }
            Err(_) => Err(KvError::Store),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxbot_store::SqliteStore;

    fn broker() -> KvBroker {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().expect("store"));
        KvBroker::new(
            store,
            KvLimits {
                max_key_bytes: 8,
                max_value_bytes: 16,
                max_list: 3,
            },
        )
    }

    #[tokio::test]
    async fn namespaces_are_per_plugin() {
        let kv = broker();
        kv.put("a", "k", b"one".to_vec(), 100).await.expect("put");
        assert_eq!(kv.get("b", "k").await.expect("get"), None);
        assert_eq!(kv.get("a", "k").await.expect("get"), Some(b"one".to_vec()));
        assert!(!kv.delete("b", "k").await.expect("delete"));
        assert!(kv.delete("a", "k").await.expect("delete"));
    }

    #[tokio::test]
    async fn sizes_and_quota_are_refused_with_what_was_wrong() {
        let kv = broker();
        assert_eq!(kv.get("a", "").await, Err(KvError::EmptyKey));
        assert_eq!(
            kv.put("a", "123456789", Vec::new(), 100).await,
            Err(KvError::KeyTooLong { len: 9, max: 8 })
        );
        assert_eq!(
            kv.put("a", "k", vec![0; 17], 100).await,
            Err(KvError::ValueTooLarge { len: 17, max: 16 })
        );
        assert_eq!(
            kv.put("a", "k", vec![0; 16], 10).await,
            Err(KvError::OverQuota {
                total_bytes_after: 17,
                quota: 10
            })
        );
        assert_eq!(kv.get("a", "k").await.expect("get"), None);
    }

    #[tokio::test]
    async fn list_limit_zero_or_huge_is_clamped() {
        let kv = broker();
        for k in ["p1", "p2", "p3", "p4"] {
            kv.put("a", k, Vec::new(), 100).await.expect("put");
        }
        let page = kv.list("a", "p", None, 0).await.expect("list");
        assert_eq!(page.keys, vec!["p1"]);
        assert!(page.more);
        let page = kv.list("a", "p", Some("p1"), u32::MAX).await.expect("list");
        assert_eq!(page.keys, vec!["p2", "p3", "p4"]);
        assert!(!page.more);
    }
}
