//! The kinds of job (`sync_jobs.flow`): one name per outside call the CRM makes. Not the jobs
//! themselves (`jobs`) nor how they are run (`runner`).

use serde::{Deserialize, Serialize};

/// The kinds of job in `sync_jobs.flow`. The database holds the same list in `sync_flows`
/// (which `sync_jobs.flow` references); an integration test proves the two agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// A webhook that waited in the queue (Supabase was down) or a replayed one.
    WebhookApply,
    /// A CRM order sent to Bitrix.
    ReverseSync,
    /// A CRM status change sent to Bitrix.
    StatusSync,
    /// A product's availability sent to Bitrix.
    AvailabilitySync,
    /// A message to the shop's chat.
    Telegram,
}

impl Flow {
    /// Every flow, in the order the sync status lists them.
    pub const ALL: [Flow; 5] =
        [Flow::WebhookApply, Flow::ReverseSync, Flow::StatusSync, Flow::AvailabilitySync, Flow::Telegram];

    /// The name in `sync_jobs.flow`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::WebhookApply => "webhook_apply",
            Flow::ReverseSync => "reverse_sync",
            Flow::StatusSync => "status_sync",
            Flow::AvailabilitySync => "availability_sync",
            Flow::Telegram => "telegram",
        }
    }
}
