//! The live side of an interview: start (LiveKit room + agent dispatch + candidate token),
//! more tokens, state, complete, report; and seed 003's API-key integration endpoints.

use std::time::Duration;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::Serialize;

use crate::AppState;
use crate::error::ApiError;
use crate::interviews::{self, Interview};
use crate::json::Json;
use crate::principal::Principal;
use crate::routes::interviews::path_id;

/// What the candidate's front end needs to join.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StartResponse {
    pub interview_id: String,
    pub room_name: String,
    /// LiveKit token: join, publish microphone, subscribe, publish data.
    pub token: String,
    /// LiveKit server URL.
    pub url: String,
}

/// A token for one more participant (seed 003).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub token: String,
    pub room_name: String,
    pub participant_name: String,
    pub url: String,
}

/// Progress of an interview so far (seed 000's field names).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InterviewState {
    pub interview_id: String,
    pub status: String,
    pub phase: String,
    pub turn_count: usize,
    /// Transcript turns in order: `{role, text}`, plus `code` and `language` on submissions.
    #[schema(value_type = Vec<Object>)]
    pub conversation_history: Vec<serde_json::Value>,
    /// The interviewer's questions, in order.
    pub questions_asked: Vec<String>,
    /// The turns that carried code, in order.
    #[schema(value_type = Vec<Object>)]
    pub code_submissions: Vec<serde_json::Value>,
}

/// The completed interview plus seed 000's `interview_id` and `feedback`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CompletedInterview {
    #[serde(flatten)]
    pub interview: Interview,
    pub interview_id: String,
    /// The agent's final report, null until it sends one.
    #[schema(value_type = Option<Object>)]
    pub feedback: serde_json::Value,
}

/// The outcome of an interview.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InterviewReport {
    pub interview_id: String,
    pub status: String,
    pub technical_score: Option<i64>,
    pub behavioral_score: Option<i64>,
    pub overall_feedback: Option<String>,
    /// The agent's final report, null until it sends one.
    #[schema(value_type = Option<Object>)]
    pub report: serde_json::Value,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/interviews/{id}/start", post(start))
        .route("/interviews/{id}/token", post(token))
        .route("/interviews/{id}/state", get(state))
        .route("/interviews/{id}/complete", post(complete))
        .route("/interviews/{id}/report", get(report))
        // Seed 002's name for the report.
        .route("/interviews/{id}/feedback", get(report))
        .route("/interviews/api/create", post(api_create))
        .route("/interviews/api/{id}/token", post(api_token))
}

async fn owned(state: &AppState, principal: &Principal, id: &str) -> Result<Interview, ApiError> {
    interviews::by_id(state.db(), &principal.user.id, id)
        .await?
        .ok_or_else(interviews::not_found)
}

fn not_completed(interview: &Interview) -> Result<(), ApiError> {
    if interview.status == "completed" {
        return Err(ApiError::BadRequest("interview is completed".to_owned()));
    }
    Ok(())
}

fn ttl(interview: &Interview) -> Duration {
    Duration::from_secs(u64::try_from(interview.duration_minutes).unwrap_or(30) * 60 + 30 * 60)
}

/// Opens the room, dispatches the agent and returns the candidate's token.
#[utoipa::path(
    post,
    path = "/api/v1/interviews/{id}/start",
    operation_id = "start_interview",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    responses(
        (status = 200, description = "Room open, agent dispatched", body = StartResponse),
        (status = 400, description = "Interview is completed", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the caller", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn start(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<StartResponse>, ApiError> {
    let id = path_id(id)?;
    let interview = owned(&state, &principal, &id).await?;
    not_completed(&interview)?;
    let metadata = serde_json::json!({ "interview_id": interview.id }).to_string();
    crate::livekit::open_room(state.config(), &interview.room_name, &metadata).await?;
    interviews::mark(state.db(), &principal.user.id, &id, "in_progress", true).await?;
    let name = interview
        .candidate_name
        .clone()
        .unwrap_or_else(|| "Candidate".to_owned());
    let token = crate::livekit::participant_token(
        state.config(),
        &interview.room_name,
        &format!("candidate-{}", interview.id),
        &name,
        ttl(&interview),
    )?;
    Ok(Json(StartResponse {
        interview_id: interview.id,
        room_name: interview.room_name,
        token,
        url: state.config().livekit_url.clone(),
    }))
}

/// A token for another participant of the room.
#[utoipa::path(
    post,
    path = "/api/v1/interviews/{id}/token",
    operation_id = "interview_token",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    responses(
        (status = 200, description = "A participant token", body = TokenResponse),
        (status = 400, description = "Interview is completed", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the caller", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn token(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<TokenResponse>, ApiError> {
    let id = path_id(id)?;
    let interview = owned(&state, &principal, &id).await?;
    not_completed(&interview)?;
    let name = interview
        .candidate_name
        .clone()
        .unwrap_or_else(|| "Participant".to_owned());
    let identity = format!("participant-{}", uuid::Uuid::new_v4().simple());
    let token = crate::livekit::participant_token(
        state.config(),
        &interview.room_name,
        &identity,
        &name,
        ttl(&interview),
    )?;
    Ok(Json(TokenResponse {
        token,
        room_name: interview.room_name,
        participant_name: name,
        url: state.config().livekit_url.clone(),
    }))
}

/// Phase, turns, questions and code submissions so far.
#[utoipa::path(
    get,
    path = "/api/v1/interviews/{id}/state",
    operation_id = "interview_state",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    responses(
        (status = 200, description = "The state", body = InterviewState),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the caller", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn state(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<InterviewState>, ApiError> {
    let id = path_id(id)?;
    let interview = owned(&state, &principal, &id).await?;
    let (transcript, _) = interviews::progress(state.db(), &principal.user.id, &id).await?;
    let conversation = match transcript {
        serde_json::Value::Array(turns) => turns,
        _ => Vec::new(),
    };
    let questions_asked = conversation
        .iter()
        .filter(|t| t["role"] == "interviewer")
        .filter_map(|t| t["text"].as_str())
        .filter(|text| text.trim_end().ends_with('?'))
        .map(str::to_owned)
        .collect();
    let code_submissions = conversation
        .iter()
        .filter(|t| t["code"].is_string())
        .cloned()
        .collect();
    Ok(Json(InterviewState {
        interview_id: interview.id,
        status: interview.status,
        phase: interview.phase,
        turn_count: conversation.len(),
        conversation_history: conversation,
        questions_asked,
        code_submissions,
    }))
}

/// Marks the interview completed.
#[utoipa::path(
    post,
    path = "/api/v1/interviews/{id}/complete",
    operation_id = "complete_interview",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    responses(
        (status = 200, description = "The completed interview", body = CompletedInterview),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the caller", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn complete(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<CompletedInterview>, ApiError> {
    let id = path_id(id)?;
    owned(&state, &principal, &id).await?;
    interviews::mark(state.db(), &principal.user.id, &id, "completed", false).await?;
    let interview = owned(&state, &principal, &id).await?;
    let (_, feedback) = interviews::progress(state.db(), &principal.user.id, &id).await?;
    Ok(Json(CompletedInterview {
        interview_id: interview.id.clone(),
        interview,
        feedback,
    }))
}

/// Scores, feedback and the agent's report.
#[utoipa::path(
    get,
    path = "/api/v1/interviews/{id}/report",
    operation_id = "interview_report",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    responses(
        (status = 200, description = "The report", body = InterviewReport),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the caller", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn report(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<InterviewReport>, ApiError> {
    let id = path_id(id)?;
    let interview = owned(&state, &principal, &id).await?;
    let (_, report) = interviews::progress(state.db(), &principal.user.id, &id).await?;
    Ok(Json(InterviewReport {
        interview_id: interview.id,
        status: interview.status,
        technical_score: interview.technical_score,
        behavioral_score: interview.behavioral_score,
        overall_feedback: interview.overall_feedback,
        report,
    }))
}

/// Seed 003's integration create (`Authorization: Bearer sk_...` or `X-API-Key`).
#[utoipa::path(
    post,
    path = "/api/v1/interviews/api/create",
    operation_id = "api_create_interview",
    tag = "interviews",
    security(("bearer" = [])),
    request_body = crate::interviews::InterviewCreate,
    responses(
        (status = 200, description = "The stored interview", body = Interview),
        (status = 400, description = "Bad JSON", body = crate::openapi::ErrorBody),
        (status = 401, description = "Invalid or inactive API key", body = crate::openapi::ErrorBody),
        (status = 404, description = "role_id or resume_id is not the key owner's", body = crate::openapi::ErrorBody),
        (status = 422, description = "Wrong types, missing fields or values out of range", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn api_create(
    state: State<AppState>,
    principal: Principal,
    body: Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Interview>, ApiError> {
    crate::routes::interviews::create(state, principal, body).await
}

/// Seed 003's integration token (`Authorization: Bearer sk_...` or `X-API-Key`).
#[utoipa::path(
    post,
    path = "/api/v1/interviews/api/{id}/token",
    operation_id = "api_interview_token",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    responses(
        (status = 200, description = "A participant token", body = TokenResponse),
        (status = 400, description = "Interview is completed", body = crate::openapi::ErrorBody),
        (status = 401, description = "Invalid or inactive API key", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the key owner", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn api_token(
    state: State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<TokenResponse>, ApiError> {
    token(state, principal, id).await
}
