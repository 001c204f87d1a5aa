//! The store ports (`OrderStore`, `JobStore`) and the CRM's reads and writes on Supabase's
//! PostgREST, through the `postgrest` crate (reqwest over the Worker's fetch).

use postgrest::Postgrest;
use serde_json::{json, Value};

use crate::core::apply::{Applied, ApplyCommand};
use crate::core::jobs::JobRow;
use crate::core::order::OrderEvent;
use crate::core::ports::{JobEnd, JobStore, OrderStore, ProductAvailability, StoreError};
use crate::core::telegram::OrderCard;

/// PostgREST with the service key as both `apikey` and bearer token, as hosted Supabase wants.
pub struct PostgrestStore {
    client: Postgrest,
}

/// Sends a PostgREST request: 2xx gives its body; 408, 429, 5xx and transport errors are
/// worth a retry; other statuses are refusals.
async fn send(request: postgrest::Builder, what: &str) -> Result<String, StoreError> {
    let response = request.execute().await.map_err(|e| StoreError::Unavailable(format!("{what}: {e}")))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| StoreError::Unavailable(format!("{what}: reading body: {e}")))?;
    match status.as_u16() {
        200..=299 => Ok(body),
        408 | 429 | 500..=599 => Err(StoreError::Unavailable(format!("{what}: HTTP {status}: {body}"))),
        _ => Err(StoreError::Rejected(format!("{what}: HTTP {status}: {body}"))),
    }
}

/// A function returning `void` answers with an empty body: that is `null`.
fn json_of(body: &str, what: &str) -> Result<Value, StoreError> {
    if body.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(body).map_err(|e| StoreError::Rejected(format!("{what}: unexpected answer {body}: {e}")))
}

impl PostgrestStore {
    #[must_use]
    pub fn new(base_url: &str, service_key: &str) -> Self {
        let client = Postgrest::new(base_url)
            .insert_header("apikey", service_key)
            .insert_header("Authorization", format!("Bearer {service_key}"));
        PostgrestStore { client }
    }

    /// Calls a SQL function with named arguments and returns its JSON answer.
    pub async fn rpc(&self, function: &str, arguments: &Value) -> Result<Value, StoreError> {
        let body = send(self.client.rpc(function, arguments.to_string()), function).await?;
        json_of(&body, function)
    }

    /// Reads rows: `table` with PostgREST query parameters.
    pub async fn select(&self, table: &str, query: &[(&str, String)]) -> Result<Value, StoreError> {
        let mut request = self.client.from(table);
        for (key, value) in query {
            request = match *key {
                "select" => request.select(value.clone()),
                "order" => request.order(value.clone()),
                "limit" => request.limit(value.parse().unwrap_or(50)),
                "offset" => {
                    let low: usize = value.parse().unwrap_or(0);
                    let size =
                        query.iter().find(|(k, _)| *k == "limit").and_then(|(_, v)| v.parse().ok()).unwrap_or(50);
                    request.range(low, low + size - 1)
                }
                _ => request.eq(*key, value.clone()),
            };
        }
        let body = send(request, table).await?;
        json_of(&body, table)
    }
}

impl OrderStore for PostgrestStore {
    async fn apply_order_event(&self, event: &OrderEvent) -> Result<Applied, StoreError> {
        let answer =
            self.rpc("apply_bitrix_order_event", &json!({ "command": ApplyCommand::for_event(event) })).await?;
        serde_json::from_value(answer.clone())
            .map_err(|e| StoreError::Rejected(format!("apply_bitrix_order_event: unexpected answer {answer}: {e}")))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        send(self.client.from("orders").select("id").limit(1), "ping").await.map(|_| ())
    }
}

impl JobStore for PostgrestStore {
    async fn claim_job(&self, job_id: &str) -> Result<Option<JobRow>, StoreError> {
        let answer = self.rpc("claim_sync_job", &json!({"p_job_id": job_id, "p_lease_seconds": 60})).await?;
        if answer.is_null() {
            return Ok(None);
        }
        serde_json::from_value(answer).map(Some).map_err(|e| StoreError::Rejected(format!("claim_sync_job: {e}")))
    }

    async fn finish_job(&self, job_id: &str, end: &JobEnd) -> Result<(), StoreError> {
        let (status, error, retry_in, result) = match end {
            JobEnd::Done { result } => ("done", None, None, result.clone()),
            JobEnd::Skipped { reason } => ("skipped", Some(reason.clone()), None, None),
            JobEnd::Held { reason, recheck_in } => ("held", Some(reason.clone()), Some(recheck_in.as_secs()), None),
            JobEnd::Retrying { error, delay } => ("retrying", Some(error.clone()), Some(delay.as_secs()), None),
            JobEnd::Dead { error } => ("dead", Some(error.clone()), None, None),
        };
        let arguments = json!({"p_job_id": job_id, "p_status": status, "p_error": error,
                               "p_retry_in_seconds": retry_in, "p_result": result});
        self.rpc("finish_sync_job", &arguments).await.map(|_| ())
    }

    async fn order_card(&self, order_id: &str) -> Result<Option<OrderCard>, StoreError> {
        let answer = self.rpc("order_card", &json!({"p_order_id": order_id})).await?;
        if answer.is_null() {
            return Ok(None);
        }
        serde_json::from_value(answer).map(Some).map_err(|e| StoreError::Rejected(format!("order_card: {e}")))
    }

    async fn product_availability(&self, product_id: &str) -> Result<Option<ProductAvailability>, StoreError> {
        let rows = self.select("products", &[("select", "metadata".into()), ("id", product_id.into())]).await?;
        Ok(rows.get(0).map(|row| {
            let properties = &row["metadata"]["properties"];
            ProductAvailability {
                bitrix_product_id: properties["bitrix_id"]
                    .as_str()
                    .and_then(|id| id.parse().ok())
                    .or_else(|| properties["bitrix_id"].as_u64()),
                in_stock: properties["IN_STOCK"].as_str() == Some(crate::core::gateway::IN_STOCK),
            }
        }))
    }

    async fn record_dead_webhook(
        &self,
        event_key: &str,
        body: &Value,
        error: &str,
        attempts: u32,
    ) -> Result<(), StoreError> {
        let arguments = json!({"p_event_key": event_key, "p_body": body, "p_error": error, "p_attempts": attempts});
        self.rpc("record_dead_webhook", &arguments).await.map(|_| ())
    }
}
