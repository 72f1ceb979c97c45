//! `POST /api/v1/stock/import`: many stock changes from one CSV or JSON-lines body, all or
//! nothing (the default) or row by row, or only checked (`dry_run`). Admins import into any
//! store; a vendor's rows for another store are refused one by one (`FORBIDDEN`).

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse, post, web};
use futures_util::StreamExt;
use inventory_application::{
    ImportFormat, ImportMode, ImportReport, ImportSource, Listing, RowOutcome, RowResult,
    StockImport,
};
use inventory_domain::{ChangedBy, UserId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::common::run;
use crate::access::import_scope;
use crate::idempotency::KeyedAnswer;
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody};

/// The most row results one answer lists; the rest are counted in `results_omitted`.
pub const MAX_LISTED_ROWS: usize = 100_000;

/// How large an import's body may be (larger than a JSON body: it carries many rows).
#[derive(Debug, Clone, Copy)]
pub struct ImportLimits {
    /// The largest body accepted, in bytes; 413 beyond.
    pub max_body_bytes: usize,
}

/// How the valid rows are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportModeParam {
    /// Validate every row; apply all of them in one transaction, or none if any is invalid.
    #[default]
    All,
    /// Apply each valid row (in transactions of 1 000 rows) and report the invalid ones.
    PerRow,
}

/// The options of an import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `all` (default: all rows or none) or `per_row`.
    pub mode: Option<ImportModeParam>,
    /// `true`: validate and report, write nothing (default `false`).
    pub dry_run: Option<bool>,
}

/// One row's result.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRowResponse {
    /// The row's line in the body (the CSV header is line 1).
    pub line: u64,
    /// APPLIED, VALID (dry run), INVALID, or NOT_APPLIED (valid, but an all-or-nothing import
    /// applied nothing because of other rows).
    #[schema(example = "INVALID")]
    pub outcome: String,
    /// Why the row was refused: PRODUCT_NOT_FOUND, STORE_NOT_FOUND, VALIDATION_FAILED,
    /// STOCK_BELOW_RESERVED, STOCK_LIMIT_EXCEEDED, FORBIDDEN.
    #[schema(example = "PRODUCT_NOT_FOUND")]
    pub code: Option<String>,
    /// Why, for people.
    pub message: Option<String>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    /// The import's id: the changes it applied were made under it.
    pub import_id: String,
    /// True when nothing was written because the request asked for a dry run.
    pub dry_run: bool,
    /// Rows read.
    pub rows: u64,
    /// Rows applied.
    pub applied: u64,
    /// Rows valid in a dry run.
    pub valid: u64,
    /// Rows refused.
    pub invalid: u64,
    /// Valid rows not applied because others were refused (mode `all`).
    pub not_applied: u64,
    /// Every row's result, by line (at most 100 000).
    pub results: Vec<ImportRowResponse>,
    /// Results left out of `results`.
    pub results_omitted: u64,
}

impl From<&ImportReport> for ImportResponse {
    fn from(report: &ImportReport) -> Self {
        Self {
            import_id: report.import_id.to_string(),
            dry_run: report.dry_run,
            rows: report.rows,
            applied: report.applied,
            valid: report.valid,
            invalid: report.invalid,
            not_applied: report.not_applied,
            results: report.results.iter().map(row_response).collect(),
            results_omitted: report.results_omitted,
        }
    }
}

fn row_response(result: &RowResult) -> ImportRowResponse {
    ImportRowResponse {
        line: result.line,
        outcome: match result.outcome {
            RowOutcome::Applied => "APPLIED",
            RowOutcome::Valid => "VALID",
            RowOutcome::Invalid => "INVALID",
            RowOutcome::NotApplied => "NOT_APPLIED",
        }
        .to_owned(),
        code: result.code.clone(),
        message: result.message.clone(),
    }
}

/// 422 when an all-or-nothing import applied nothing because rows were invalid (the body
/// says which); 200 otherwise.
fn status_of(report: &ImportReport) -> StatusCode {
    if !report.dry_run && report.applied == 0 && report.not_applied > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if !report.dry_run && report.applied == 0 && report.invalid > 0 {
        // Every row was invalid: nothing to apply, in either mode.
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// What identifies an import's content for its idempotency key: the options and the body.
#[derive(Serialize)]
struct ImportFingerprint<'a> {
    mode: ImportModeParam,
    dry_run: bool,
    content_type: &'a str,
    body_sha256: String,
}

/// Imports stock levels from CSV (`text/csv`, a header row naming
/// `sku,store_id,quantity,quantity_change,reason`) or JSON lines (`application/x-ndjson`, one
/// object per line with the same fields). Each row either sets a level (`quantity`, a count)
/// or moves it (`quantity_change` with a `reason`, as `POST /stock`); rows are checked in
/// order, so two rows for one pair add up. With `Idempotency-Key`, a repeated upload gets
/// the first answer and applies nothing again.
#[utoipa::path(
    tag = "stock",
    params(ImportQuery),
    request_body(
        content(
            (String = "text/csv", example = "sku,store_id,quantity,quantity_change,reason\nLAPTOP-001,MAD-001,,20,RESTOCK\n"),
        ),
        description = "The rows: CSV as documented here, or the same rows as JSON lines sent with \
            `Content-Type: application/x-ndjson` (one object per line with the CSV's fields, e.g. \
            `{\"sku\":\"LAPTOP-001\",\"store_id\":\"MAD-001\",\"quantity\":12}`). JSON lines are \
            not listed as a second media type because no JSON Schema describes a stream of objects."
    ),
    responses(
        (status = 200, description = "The report: every row applied (or checked, in a dry run), or with mode per_row the valid ones", body = ImportResponse),
        (status = 400, description = "INVALID_QUERY (options), VALIDATION_FAILED with details.field `file` (a CSV header naming an unknown column or lacking one, a file that cannot be read, or a row refused while applying because the stock changed since it was validated: nothing applied) or `Idempotency-Key`", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "A customer", body = ErrorBody),
        (status = 413, description = "Body larger than the import limit", body = ErrorBody),
        (status = 415, description = "Body is neither text/csv nor application/x-ndjson", body = ErrorBody),
        (status = 422, description = "Nothing applied because rows are invalid: the report, listing each row", body = ImportResponse),
    ),
    security(("bearer" = []))
)]
#[post("/stock/import")]
pub async fn import_stock(
    state: web::Data<AppState>,
    limits: web::Data<ImportLimits>,
    caller: Caller,
    request: HttpRequest,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let only_store = import_scope(&caller)?;
    let (format, content_type) = format_of(&request)?;
    let body = read_body(payload, limits.max_body_bytes).await?;
    let mode = query.mode.unwrap_or_default();
    let dry_run = query.dry_run.unwrap_or(false);
    let command = StockImport {
        mode: match mode {
            ImportModeParam::All => ImportMode::AllOrNothing,
            ImportModeParam::PerRow => ImportMode::PerRow,
        },
        dry_run,
        by: ChangedBy {
            user_id: Some(UserId::parse(caller.subject())?),
            on_behalf_of: None,
        },
        only_store,
        listing: Listing::every_row(MAX_LISTED_ROWS),
    };
    let fingerprint = ImportFingerprint {
        mode,
        dry_run,
        content_type,
        body_sha256: hex(&Sha256::digest(&body)),
    };
    let answer = KeyedAnswer::new(&request, &caller, &fingerprint, |report: &ImportReport| {
        (status_of(report), ImportResponse::from(report))
    })?;
    let context = answer.context();
    let imports = state.use_cases.imports.clone();
    let source = ImportSource::from_bytes(format, body.to_vec());
    let report = run(move || imports.import(source, command, &context)).await?;
    Ok(answer.respond(&report, |_| {}))
}

/// The format the `Content-Type` names (parameters such as `charset` are ignored).
fn format_of(request: &HttpRequest) -> Result<(ImportFormat, &'static str), ApiError> {
    let essence = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("text/csv") => Ok((ImportFormat::Csv, "text/csv")),
        Some("application/x-ndjson") => Ok((ImportFormat::JsonLines, "application/x-ndjson")),
        _ => Err(ApiError::ImportMediaType),
    }
}

/// The whole body, refused with 413 as soon as it grows past `limit`.
async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| {
            if crate::request_limits::is_body_timeout(&error) {
                ApiError::RequestTimeout
            } else {
                ApiError::bad_request("MALFORMED_BODY", "the request body could not be read")
            }
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// An import's 422 is either its report (invalid rows, nothing applied) or an error (an
/// unreadable file, a reused key): say both, so that a client (and schemathesis) can tell them
/// apart by shape.
pub(crate) fn document_refusals(document: &mut serde_json::Value) {
    let schema = &mut document["paths"]["/api/v1/stock/import"]["post"]["responses"]["422"]["content"]
        ["application/json"]["schema"];
    if schema.is_null() {
        return;
    }
    *schema = serde_json::json!({ "oneOf": [
        { "$ref": "#/components/schemas/ImportResponse" },
        { "$ref": "#/components/schemas/ErrorBody" },
    ] });
}
