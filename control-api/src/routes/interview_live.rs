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
    /// Whether this call dispatched the agent: only the first start does.
    pub dispatched: bool,
    /// Agent dispatches so far (the first start's plus re-dispatches after a worker died).
    pub dispatch_count: i64,
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
    /// Transcript turns in order, numbered from 1.
    pub conversation_history: Vec<crate::transcript::TranscriptTurn>,
    /// The interviewer's questions, in order.
    pub questions_asked: Vec<String>,
    /// The turns that carried code, in order.
    pub code_submissions: Vec<crate::transcript::TranscriptTurn>,
}

/// The completed interview plus seed 000's `interview_id` and `feedback`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CompletedInterview {
    #[serde(flatten)]
    pub interview: Interview,
    pub interview_id: String,
    /// Seed 000's scores (0 to 1) and skill breakdown from the evaluation; null until it is
    /// ready (completion never waits for it: see `evaluation_status` and `GET .../report`).
    #[schema(value_type = Option<Object>)]
    pub feedback: serde_json::Value,
    /// `pending`, `ready` or `failed`.
    pub evaluation_status: Option<String>,
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
    /// The evidence-backed evaluation, null until the interview completes.
    pub evaluation: Option<crate::evaluation::Evaluation>,
    /// Seed 000's `feedback` shape of the evaluation, null until it is ready.
    #[schema(value_type = Option<Object>)]
    pub feedback: serde_json::Value,
    /// How the candidate sounded (seed 004's `audio_features`, volume, talk ratio,
    /// interruptions), from the agent's delivery summaries; null before any. Kept apart:
    /// no score reads it.
    pub coaching: Option<crate::delivery::Coaching>,
}

/// The evaluation of the caller's interview and seed 000's feedback from it.
async fn evaluation_of(
    state: &AppState,
    owner: &str,
    id: &str,
) -> Result<(Option<crate::evaluation::Evaluation>, serde_json::Value), ApiError> {
    let Some(evaluation) = crate::evaluation::get(state.db(), id).await? else {
        return Ok((None, serde_json::Value::Null));
    };
    let rubric = crate::evaluation::freeze_rubric(state.db(), owner, id).await?;
    let feedback = crate::evaluation::seed_feedback(&evaluation, &rubric);
    Ok((Some(evaluation), feedback))
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/interviews/{id}/start", post(start))
        .route("/interviews/{id}/token", post(token))
        .route("/interviews/{id}/state", get(state))
        .route("/interviews/{id}/complete", post(complete))
        .route("/interviews/{id}/report", get(report))
        .route("/interviews/{id}/report/overrides", post(override_report))
        .route("/interviews/{id}/timeline", get(timeline))
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
    if crate::interviews::is_ended(&interview.status) {
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
        (status = 200, description = "Room open, agent dispatched (by the first call only)", body = StartResponse),
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
    open_for_candidate(&state, &principal.user.id, &id)
        .await
        .map(Json)
}

/// Opens the room of `owner`'s interview `id` and dispatches the agent (the first call
/// only), then returns the candidate's token. The candidate's identity is the same on every
/// call (`candidate-{id}`): a second device joining takes the room over from the first.
/// Shared by the recruiter's `start` and the candidate's invite link.
pub(crate) async fn open_for_candidate(
    state: &AppState,
    owner: &str,
    id: &str,
) -> Result<StartResponse, ApiError> {
    let interview = interviews::by_id(state.db(), owner, id)
        .await?
        .ok_or_else(interviews::not_found)?;
    not_completed(&interview)?;
    // Only the first start opens the room and dispatches the agent; a repeated or concurrent
    // start answers with the same room and identity and dispatches nothing.
    let dispatched = interviews::claim_start(state.db(), owner, id).await?;
    if dispatched {
        crate::evaluation::freeze_rubric(state.db(), owner, id).await?;
        let metadata = contract::job::JobMetadata::first(&interview.id).to_json();
        if let Err(err) =
            crate::livekit::open_room(state.config(), &interview.room_name, &metadata).await
        {
            interviews::release_start(state.db(), owner, id).await?;
            return Err(err);
        }
    }
    let interview = interviews::by_id(state.db(), owner, id)
        .await?
        .ok_or_else(interviews::not_found)?;
    let name = interview
        .candidate_name
        .clone()
        .unwrap_or_else(|| "Candidate".to_owned());
    let token = crate::livekit::participant_token(
        state.config(),
        &interview.room_name,
        &candidate_identity(&interview.id),
        &name,
        ttl(&interview),
    )?;
    Ok(StartResponse {
        interview_id: interview.id,
        room_name: interview.room_name,
        token,
        url: state.config().livekit_url.clone(),
        dispatched,
        dispatch_count: interview.dispatch_count,
    })
}

/// The LiveKit identity of an interview's candidate.
pub(crate) fn candidate_identity(interview_id: &str) -> String {
    format!("candidate-{interview_id}")
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
    let conversation = crate::transcript::list(state.db(), &interview.id).await?;
    let questions_asked = conversation
        .iter()
        .filter(|t| t.role == "interviewer" && t.text.trim_end().ends_with('?'))
        .map(|t| t.text.clone())
        .collect();
    let code_submissions = conversation
        .iter()
        .filter(|t| t.code.is_some())
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
    let before = owned(&state, &principal, &id).await?;
    interviews::mark_completed(state.db(), &principal.user.id, &id).await?;
    if before.dispatch_count > 0 {
        // The candidate and observers leave the room now (the agent then ends its session);
        // tokens still within their TTL are refused on rejoin by the webhook receiver.
        crate::livekit::close_room(state.config(), &before.room_name).await;
    }
    crate::evaluation::enqueue(&state, &principal.user.id, &id).await?;
    let interview = owned(&state, &principal, &id).await?;
    let (evaluation, feedback) = evaluation_of(&state, &principal.user.id, &id).await?;
    Ok(Json(CompletedInterview {
        interview_id: interview.id.clone(),
        interview,
        feedback,
        evaluation_status: evaluation.map(|e| e.status),
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
    let report = interviews::report(state.db(), &principal.user.id, &id).await?;
    let (evaluation, feedback) = evaluation_of(&state, &principal.user.id, &id).await?;
    Ok(Json(InterviewReport {
        interview_id: interview.id,
        status: interview.status,
        technical_score: interview.technical_score,
        behavioral_score: interview.behavioral_score,
        overall_feedback: interview.overall_feedback,
        report,
        evaluation,
        feedback,
        coaching: crate::delivery::coaching(state.db(), &id).await?,
    }))
}

/// The candidate's delivery timeline: one point per second of their audio, every agent
/// session laid end to end, with each session's summary and the combined coaching section.
#[utoipa::path(
    get,
    path = "/api/v1/interviews/{id}/timeline",
    operation_id = "interview_timeline",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    responses(
        (status = 200, description = "The timeline", body = crate::delivery::Timeline),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the caller", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn timeline(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<crate::delivery::Timeline>, ApiError> {
    let id = path_id(id)?;
    owned(&state, &principal, &id).await?;
    Ok(Json(crate::delivery::timeline(state.db(), &id).await?))
}

/// A reviewer overrides one dimension's score; the original and the audit trail stay.
#[utoipa::path(
    post,
    path = "/api/v1/interviews/{id}/report/overrides",
    operation_id = "override_report",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    request_body = crate::evaluation::OverrideRequest,
    responses(
        (status = 200, description = "The evaluation with the override applied", body = crate::evaluation::Evaluation),
        (status = 400, description = "Bad JSON", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the caller", body = crate::openapi::ErrorBody),
        (status = 409, description = "The report is not ready", body = crate::openapi::ErrorBody),
        (status = 422, description = "Unknown dimension, score outside 1 to 5, or no reason", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn override_report(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<crate::evaluation::Evaluation>, ApiError> {
    let id = path_id(id)?;
    let request: crate::evaluation::OverrideRequest = super::from_object(body)?;
    owned(&state, &principal, &id).await?;
    Ok(Json(
        crate::evaluation::add_override(state.db(), &id, &principal.user.id, &request).await?,
    ))
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
