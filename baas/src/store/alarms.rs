//! The `alarms` table's rows as the API shows them.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlarmView {
    pub id: String,
    pub chain_id: String,
    /// The node; empty for a chain-wide alarm (tx-failure-rate,
    /// leader-changes); the chain user (`<common name>@<org>`) for
    /// abnormal-tx-rate.
    pub node_id: String,
    /// node-crashed | node-down | height-lag | certificate-expiring |
    /// disk-full | tx-failure-rate | leader-changes | abnormal-tx-rate
    pub rule: String,
    /// firing | resolved
    pub status: String,
    pub detail: String,
    pub fired_at_ms: i64,
    pub resolved_at_ms: Option<i64>,
}
