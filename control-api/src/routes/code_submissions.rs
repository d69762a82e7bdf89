//! `POST /interviews/{id}/submit-code` (seed 000): the candidate's code goes on the interview's
//! transcript as a candidate turn, where the agent and `GET /interviews/{id}/state` see it.
//! Nothing is executed: there is no sandbox, so `execution_result` is always null.

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::post;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::interviews;
use crate::json::Json;
use crate::principal::Principal;
use crate::routes::interviews::path_id;

/// Body of a code submission.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeSubmission {
    /// The source, 1 to 50 000 characters.
    #[schema(min_length = 1, max_length = 50000)]
    pub code: String,
    /// Language name such as `python` or `c++`.
    #[schema(min_length = 1, max_length = 32)]
    pub language: String,
}

/// Seed 000's answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CodeSubmitted {
    pub message: &'static str,
    /// Always null: submissions are recorded, not run.
    #[schema(value_type = Option<Object>)]
    pub execution_result: Option<serde_json::Value>,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/interviews/{id}/submit-code", post(submit_code))
}

/// Records the candidate's code on the transcript.
#[utoipa::path(
    post,
    path = "/api/v1/interviews/{id}/submit-code",
    operation_id = "submit_code",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    request_body = CodeSubmission,
    responses(
        (status = 200, description = "Recorded", body = CodeSubmitted),
        (status = 400, description = "Bad JSON, completed interview or full transcript", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the caller", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body over the size limit", body = crate::openapi::ErrorBody),
        (status = 422, description = "Missing fields, wrong types or out-of-range values", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn submit_code(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<CodeSubmitted>, ApiError> {
    let id = path_id(id)?;
    let body: CodeSubmission = super::from_object(body)?;
    record(&state, &principal.user.id, &id, &body)
        .await
        .map(Json)
}

/// Checks a submission and records it on `owner`'s interview `id`. Shared by the
/// recruiter-side endpoint and the candidate's invite link.
pub(crate) async fn record(
    state: &AppState,
    owner: &str,
    id: &str,
    body: &CodeSubmission,
) -> Result<CodeSubmitted, ApiError> {
    let code_len = body.code.chars().count();
    if !(1..=50_000).contains(&code_len) {
        return Err(ApiError::Unprocessable(
            "code must be 1 to 50000 characters".to_owned(),
        ));
    }
    let language_ok = (1..=32).contains(&body.language.chars().count())
        && body
            .language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+#._-".contains(c));
    if !language_ok {
        return Err(ApiError::Unprocessable(
            "language must be 1 to 32 of A-Z, a-z, 0-9, + # . _ -".to_owned(),
        ));
    }
    let interview = interviews::by_id(state.db(), owner, id)
        .await?
        .ok_or_else(interviews::not_found)?;
    if crate::interviews::is_ended(&interview.status) {
        return Err(ApiError::BadRequest("interview is completed".to_owned()));
    }
    crate::transcript::append(
        state.db(),
        &interview.id,
        &crate::transcript::NewTurn {
            role: crate::transcript::Speaker::Candidate,
            text: "",
            code: Some(&body.code),
            language: Some(&body.language),
        },
    )
    .await?;
    Ok(CodeSubmitted {
        message: "Code submitted successfully",
        execution_result: None,
    })
}
