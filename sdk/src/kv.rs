//! Key-value storage in the plugin's own namespace, brokered by the host.

use crate::ctx::{Ctx, DEFAULT_CALL_DEADLINE};
use crate::error::Error;
use faxbot_plugin_abi::methods::{
    KvDelete, KvDeleteRequest, KvGet, KvGetRequest, KvList, KvListRequest, KvListResponse, KvPut,
    KvPutRequest,
};

/// The kv client. Needs a kv grant (`capabilities.kv` quota above zero); a `put` past the
/// quota fails with [`Error::QuotaExceeded`].
///
/// ```no_run
/// # async fn f(ctx: faxbot_sdk::Ctx) -> faxbot_sdk::Result<()> {
/// let kv = ctx.kv();
/// kv.put("greeting", b"hello".to_vec()).await?;
/// assert_eq!(kv.get("greeting").await?, Some(b"hello".to_vec()));
/// let page = kv.list("count:", None, 100).await?;
/// for key in page.keys { kv.delete(&key).await?; }
/// # Ok(()) }
/// ```
pub struct Kv<'a> {
    ctx: &'a Ctx,
}

impl<'a> Kv<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Self { ctx }
    }

    /// The value of `key`, if it exists.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.ctx.shared.grants.kv()?;
        let request = KvGetRequest {
            key: key.to_owned(),
        };
        let response = self
            .ctx
            .shared
            .conn
            .call::<KvGet>(&request, self.deadline())
            .await?;
        Ok(response.value)
    }

    /// Stores `value` under `key`.
    pub async fn put(&self, key: &str, value: Vec<u8>) -> Result<(), Error> {
        self.ctx.shared.grants.kv()?;
        let request = KvPutRequest {
            key: key.to_owned(),
            value,
        };
        self.ctx
            .shared
            .conn
            .call::<KvPut>(&request, self.deadline())
            .await?;
        Ok(())
    }

    /// Deletes `key`; whether it existed.
    pub async fn delete(&self, key: &str) -> Result<bool, Error> {
        self.ctx.shared.grants.kv()?;
        let request = KvDeleteRequest {
            key: key.to_owned(),
        };
        let response = self
            .ctx
            .shared
            .conn
            .call::<KvDelete>(&request, self.deadline())
            .await?;
        Ok(response.existed)
    }

    /// Up to `limit` keys starting with `prefix`, after `after` (for paging), ascending.
    pub async fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<KvListResponse, Error> {
        self.ctx.shared.grants.kv()?;
        let request = KvListRequest {
            prefix: prefix.to_owned(),
            after: after.map(str::to_owned),
            limit,
        };
        self.ctx
            .shared
            .conn
            .call::<KvList>(&request, self.deadline())
            .await
    }

    /// The value of `key` as a decimal `u64` (as [`Kv::put_u64`] writes it).
    pub async fn get_u64(&self, key: &str) -> Result<Option<u64>, Error> {
        match self.get(key).await? {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| s.parse().ok())
                .map(Some)
                .ok_or_else(|| Error::invalid(format!("kv {key}: not a decimal number"))),
        }
    }

    /// Stores `value` under `key` as a decimal number.
    pub async fn put_u64(&self, key: &str, value: u64) -> Result<(), Error> {
        self.put(key, value.to_string().into_bytes()).await
    }

    fn deadline(&self) -> std::time::Duration {
        self.ctx.call_deadline(DEFAULT_CALL_DEADLINE)
    }
}
