//! `OrderStore` on Supabase's PostgREST, through the `postgrest` crate (reqwest over fetch).

use postgrest::Postgrest;

use crate::core::apply::{ApplyCommand, Applied};
use crate::core::order::OrderEvent;
use crate::core::ports::{OrderStore, StoreError};

/// The SQL function that applies a webhook in one transaction (supabase/migrations).
const APPLY_FUNCTION: &str = "apply_bitrix_order_event";

/// PostgREST with the service key as both `apikey` and bearer token, as hosted Supabase wants.
pub struct PostgrestStore {
    client: Postgrest,
}

impl PostgrestStore {
    #[must_use]
    pub fn new(base_url: &str, service_key: &str) -> Self {
        let client = Postgrest::new(base_url)
            .insert_header("apikey", service_key)
            .insert_header("Authorization", format!("Bearer {service_key}"));
        PostgrestStore { client }
    }
}

/// Reads a PostgREST answer: 2xx gives its body, 5xx and transport errors are worth a retry.
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

impl OrderStore for PostgrestStore {
    async fn apply_order_event(&self, event: &OrderEvent) -> Result<Applied, StoreError> {
        let command = serde_json::json!({ "command": ApplyCommand::for_event(event) });
        let body = send(self.client.rpc(APPLY_FUNCTION, command.to_string()), APPLY_FUNCTION).await?;
        serde_json::from_str(&body).map_err(|e| StoreError::Rejected(format!("{APPLY_FUNCTION}: unexpected answer {body}: {e}")))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        send(self.client.from("orders").select("id").limit(1), "ping").await.map(|_| ())
    }
}
