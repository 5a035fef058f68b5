//! The one status vocabulary every transport maps onto: the SDK's fax states.

use std::fmt;

/// Where a fax job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaxStatus {
    /// Accepted, not yet transmitting.
    Queued,
    /// Being transmitted.
    Sending,
    /// Transmitted; delivery not (yet) confirmed.
    Sent,
    /// Delivery confirmed.
    Delivered,
    /// Failed for good.
    Failed,
    /// Cancelled before completion.
    Cancelled,
    /// An inbound fax was received.
    Received,
}

impl FaxStatus {
    /// The lower-case name used in the API and in events.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Received => "received",
        }
    }

    /// Parses a name as [`FaxStatus::name`] writes it.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Sending,
            Self::Sent,
            Self::Delivered,
            Self::Failed,
            Self::Cancelled,
            Self::Received,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }

    /// Whether no later status can follow.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            Self::Delivered | Self::Failed | Self::Cancelled | Self::Received
        )
    }

    /// Order of progress, so a status that arrives out of order never moves a job back.
    pub const fn rank(self) -> u8 {
        match self {
            Self::Queued => 0,
            Self::Sending => 1,
            Self::Sent => 2,
            Self::Delivered | Self::Failed | Self::Cancelled | Self::Received => 3,
        }
    }

    /// Whether a job at `self` may move to `next` (forward only; a final status never changes).
    pub const fn may_become(self, next: Self) -> bool {
        !self.is_final() && next.rank() > self.rank()
    }
}

impl fmt::Display for FaxStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::FaxStatus;

    #[test]
    fn a_status_arriving_out_of_order_never_moves_a_job_back() {
        assert!(FaxStatus::Queued.may_become(FaxStatus::Sending));
        assert!(FaxStatus::Sending.may_become(FaxStatus::Delivered));
        assert!(!FaxStatus::Sending.may_become(FaxStatus::Queued));
        assert!(!FaxStatus::Delivered.may_become(FaxStatus::Failed));
        assert!(!FaxStatus::Failed.may_become(FaxStatus::Delivered));
    }

    #[test]
    fn names_round_trip() {
        for name in [
            "queued",
            "sending",
            "sent",
            "delivered",
            "failed",
            "cancelled",
            "received",
        ] {
            assert_eq!(FaxStatus::from_name(name).map(FaxStatus::name), Some(name));
        }
        assert_eq!(FaxStatus::from_name("SUCCESS"), None);
    }
}
