//! `/api/v1/webhooks`: endpoints that receive the events they name, signed (Standard
//! Webhooks), in order, with retries. Admins only: an endpoint sees every store's events.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use inventory_application::RegisterWebhook;
use inventory_events::EventType;
use inventory_ports::{Webhook, WebhookDelivery, WebhookId, WebhookUrl};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{PageOf, PageQuery, request_context, run, store_id};
use crate::access::{Action, authorize};
use crate::idempotency::KeyedAnswer;
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody};

/// A webhook endpoint as the API shows it (never with its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    /// Webhook UUID.
    pub webhook_id: String,
    /// Where events are POSTed.
    #[schema(example = "https://hooks.example.com/inventory")]
    pub url: String,
    /// The event types it receives.
    #[schema(example = json!(["stock.updated", "reservation.created"]))]
    pub event_types: Vec<String>,
    /// Only this store's events, when set.
    #[schema(example = "MAD-001")]
    pub store_id: Option<String>,
    /// The last event seq handled (delivered, given up, or not wanted).
    pub cursor: u64,
    /// Who registered it.
    pub created_by: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&Webhook> for WebhookResponse {
    fn from(webhook: &Webhook) -> Self {
        Self {
            webhook_id: webhook.id.to_string(),
            url: webhook.url.to_string(),
            event_types: webhook
                .event_types
                .iter()
                .map(|event_type| event_type.as_str().to_owned())
                .collect(),
            store_id: webhook.store_id.as_ref().map(ToString::to_string),
            cursor: webhook.cursor,
            created_by: webhook.created_by.clone(),
            created_at: webhook.created_at,
        }
    }
}

/// A newly registered endpoint, with its signing secret: shown this once, never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookResponse {
    /// The endpoint.
    #[serde(flatten)]
    pub webhook: WebhookResponse,
    /// `whsec_` and base64 of 32 random bytes: the HMAC-SHA256 key (its decoded bytes) of
    /// every `webhook-signature`. Store it now: no later answer shows it.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDeliveryResponse {
    /// The event's seq.
    pub seq: u64,
    /// The event's id (the `webhook-id` header).
    pub event_id: String,
    /// 1 for the first attempt at this event.
    pub attempt: u32,
    /// The status the endpoint answered, if it answered.
    pub status_code: Option<u16>,
    /// Why there was no answer (refused address, timeout, connection).
    pub error: Option<String>,
    /// DELIVERED, FAILED (will be retried) or DEAD (given up after the retry window).
    #[schema(example = "DELIVERED")]
    pub outcome: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl From<WebhookDelivery> for WebhookDeliveryResponse {
    fn from(delivery: WebhookDelivery) -> Self {
        Self {
            seq: delivery.seq,
            event_id: delivery.event_id.to_string(),
            attempt: delivery.attempt,
            status_code: delivery.status_code,
            error: delivery.error,
            outcome: delivery.outcome.as_str().to_owned(),
            at: delivery.at,
        }
    }
}

/// An endpoint to register.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// An `http` or `https` URL whose host resolves to public addresses only (unless the
    /// operator allows private ones); no credentials in it.
    #[schema(example = "https://hooks.example.com/inventory", max_length = 2048)]
    pub url: String,
    /// The event types to receive, at least one (see the AsyncAPI document).
    #[schema(example = json!(["stock.updated", "reservation.created"]), min_items = 1, max_items = 20)]
    pub event_types: Vec<String>,
    /// Only this store's events (events naming no store, such as products', then never match).
    #[schema(example = "MAD-001")]
    pub store_id: Option<String>,
}

/// Where a replay starts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReplayQuery {
    /// The first seq to send again (the endpoint's filter still applies).
    #[param(minimum = 1)]
    pub from_seq: i64,
}

/// Registers an endpoint; the answer carries its secret, once.
#[utoipa::path(
    tag = "webhooks",
    request_body = WebhookRequest,
    responses(
        (status = 201, description = "Registered; receives the events committed from now on", body = CreatedWebhookResponse),
        (status = 400, description = "Invalid request (url, event_types, store_id)", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "STORE_NOT_FOUND (the store filter)", body = ErrorBody),
        (status = 422, description = "WEBHOOK_URL_REFUSED: not http(s), credentials in the URL, a host that does not resolve, or a loopback, private, link-local, unspecified or multicast address", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/webhooks")]
pub async fn register(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: web::Json<WebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::ManageWebhooks)?;
    let command = RegisterWebhook {
        url: WebhookUrl::parse(&body.url)?,
        event_types: event_types(&body.event_types)?,
        store_id: body.store_id.as_deref().map(store_id).transpose()?,
        created_by: Some(caller.subject().to_owned()),
    };
    let answer = KeyedAnswer::new(&request, &caller, &*body, |webhook: &Webhook| {
        (
            StatusCode::CREATED,
            CreatedWebhookResponse {
                webhook: WebhookResponse::from(webhook),
                secret: webhook.secret.expose().to_owned(),
            },
        )
    })?;
    let context = answer.context();
    let policy = state.webhook_policy;
    let webhooks = state.use_cases.webhooks.clone();
    let webhook = run(move || webhooks.register(command, &policy, &context)).await?;
    Ok(answer.respond(&webhook, |response| {
        response.insert_header(("Location", format!("/api/v1/webhooks/{}", webhook.id)));
    }))
}

/// Every endpoint, oldest first.
#[utoipa::path(
    tag = "webhooks",
    responses(
        (status = 200, description = "Every endpoint (at most 100)", body = Vec<WebhookResponse>),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/webhooks")]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::ManageWebhooks)?;
    let webhooks = state.use_cases.webhooks.clone();
    let all = run(move || webhooks.list()).await?;
    Ok(HttpResponse::Ok().json(all.iter().map(WebhookResponse::from).collect::<Vec<_>>()))
}

/// One endpoint (without its secret).
#[utoipa::path(
    tag = "webhooks",
    params(("webhook_id" = String, Path, description = "Webhook UUID")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookResponse),
        (status = 400, description = "Not a UUID", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "WEBHOOK_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/webhooks/{webhook_id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::ManageWebhooks)?;
    let id = WebhookId::parse(&path)?;
    let webhooks = state.use_cases.webhooks.clone();
    let webhook = run(move || webhooks.get(id)).await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::from(&webhook)))
}

/// Removes an endpoint and its delivery log; deliveries to it stop.
#[utoipa::path(
    tag = "webhooks",
    params(("webhook_id" = String, Path, description = "Webhook UUID")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Not a UUID", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "WEBHOOK_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/webhooks/{webhook_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::ManageWebhooks)?;
    let id = WebhookId::parse(&path)?;
    let context = request_context(&request);
    let webhooks = state.use_cases.webhooks.clone();
    run(move || webhooks.delete(id, &context)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An endpoint's delivery log, newest first: one line per attempt.
#[utoipa::path(
    tag = "webhooks",
    params(("webhook_id" = String, Path, description = "Webhook UUID"), PageQuery),
    responses(
        (status = 200, description = "A page of attempts", body = PageOf<WebhookDeliveryResponse>),
        (status = 400, description = "Not a UUID, or an invalid page", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "WEBHOOK_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/webhooks/{webhook_id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::ManageWebhooks)?;
    let id = WebhookId::parse(&path)?;
    let page = query.page()?;
    let webhooks = state.use_cases.webhooks.clone();
    let paged = run(move || webhooks.deliveries(id, page)).await?;
    Ok(HttpResponse::Ok().json(PageOf::from_paged(paged, WebhookDeliveryResponse::from)))
}

/// Sends the endpoint's events again from `from_seq` on, in order: its cursor moves back to
/// `from_seq - 1`.
#[utoipa::path(
    tag = "webhooks",
    params(("webhook_id" = String, Path, description = "Webhook UUID"), ReplayQuery),
    responses(
        (status = 200, description = "The endpoint with its cursor moved", body = WebhookResponse),
        (status = 400, description = "Not a UUID, or from_seq below 1", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "WEBHOOK_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/webhooks/{webhook_id}/replay")]
pub async fn replay(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<ReplayQuery>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::ManageWebhooks)?;
    let id = WebhookId::parse(&path)?;
    let from_seq = u64::try_from(query.from_seq)
        .ok()
        .filter(|from_seq| *from_seq >= 1)
        .ok_or_else(|| inventory_domain::ValidationError::new("from_seq", "must be at least 1"))?;
    let answer = KeyedAnswer::new(&request, &caller, &(), |webhook: &Webhook| {
        (StatusCode::OK, WebhookResponse::from(webhook))
    })?;
    let context = answer.context();
    let webhooks = state.use_cases.webhooks.clone();
    let webhook = run(move || webhooks.replay(id, from_seq, &context)).await?;
    Ok(answer.respond(&webhook, |_| {}))
}

/// The event types named, each one the service emits.
fn event_types(names: &[String]) -> Result<Vec<EventType>, ApiError> {
    if names.is_empty() || names.len() > EventType::ALL.len() {
        return Err(inventory_domain::ValidationError::new(
            "event_types",
            format!("must name 1 to {} event types", EventType::ALL.len()),
        )
        .into());
    }
    names
        .iter()
        .map(|name| {
            name.parse().map_err(|_| {
                let known: Vec<&str> = EventType::ALL.iter().map(|kind| kind.as_str()).collect();
                inventory_domain::ValidationError::new(
                    "event_types",
                    format!("unknown event type {name:?}; known: {}", known.join(", ")),
                )
                .into()
            })
        })
        .collect()
}
