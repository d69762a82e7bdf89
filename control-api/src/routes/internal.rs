//! `/internal/interviews/{id}/...`: the agent's side, authenticated with `SERVICE_TOKEN`
//! (`Authorization: Bearer <token>`): context, state so far (for a re-dispatched agent),
//! transcript turns, metrics, nudges, phase changes, the delivery timeline and summary, and
//! the final report.

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use contract::delivery::{DeliverySummary, TimelineBatch};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::agent_store::{self, Log};
use crate::error::ApiError;
use crate::interviews::{self, Interview};
use crate::json::Json;
use crate::routes::interviews::path_id;

/// Proof that the caller holds the service token.
pub struct Service;

impl FromRequestParts<AppState> for Service {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let presented = crate::auth::bearer(&parts.headers).unwrap_or_default();
        let expected = state.config().service_token.as_bytes();
        if expected.is_empty() || !crate::auth::same_secret(presented.as_bytes(), expected) {
            return Err(ApiError::Unauthorized("invalid service token".to_owned()));
        }
        Ok(Self)
    }
}

/// Everything the agent needs to run the interview.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgentContext {
    pub interview: Interview,
    /// The role, null without one.
    #[schema(value_type = Option<Object>)]
    pub role: Value,
    pub job_description: Option<String>,
    /// Seed 001's ParsedResume, null without a resume.
    #[schema(value_type = Option<Object>)]
    pub resume: Value,
    /// Questions per phase, from the role's interview structure.
    #[schema(value_type = Object)]
    pub plan: Value,
}

/// The state so far, for an agent that restarts mid-interview.
pub use contract::agent::InterviewState as AgentState;
pub use contract::agent::{AgentEnd, AgentEvent, NewTurn as Turn};

/// The final report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentReport {
    #[schema(value_type = Object)]
    pub report: serde_json::Map<String, Value>,
    #[schema(maximum = 100)]
    pub technical_score: Option<u32>,
    #[schema(maximum = 100)]
    pub behavioral_score: Option<u32>,
    #[schema(max_length = 20000)]
    pub overall_feedback: Option<String>,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/internal/interviews/{id}/context", get(context))
        .route("/internal/interviews/{id}/state", get(agent_state))
        .route("/internal/interviews/{id}/transcript", post(transcript))
        .route("/internal/interviews/{id}/events", post(event))
        .route("/internal/interviews/{id}/report", post(report))
        .route("/internal/interviews/{id}/timeline", post(timeline))
        .route("/internal/interviews/{id}/end", post(end))
        .route("/internal/interviews/{id}/delivery", put(delivery))
}

/// Ends the interview: it is never dispatched again, its report is produced (unless it
/// failed), and its room is closed. A second call changes nothing.
#[utoipa::path(post, path = "/api/v1/internal/interviews/{id}/end", operation_id = "agent_end", tag = "internal",
    security(("bearer" = [])), params(("id" = String, Path, description = "Interview id")), request_body = AgentEnd,
    responses((status = 200, description = "The interview's status now", body = Object),
        (status = 400, description = "Bad JSON", body = crate::openapi::ErrorBody),
        (status = 401, description = "Invalid service token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview", body = crate::openapi::ErrorBody),
        (status = 422, description = "Unknown outcome or reason too long", body = crate::openapi::ErrorBody)))]
pub(crate) async fn end(
    State(state): State<AppState>,
    _service: Service,
    id: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let id = path_id(id)?;
    let end: AgentEnd = super::from_object(body)?;
    if end.reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(ApiError::Unprocessable(
            "reason must be at most 500 characters".to_owned(),
        ));
    }
    let outcome = end.outcome.as_str();
    let (owner, interview) = load(&state, &id).await?;
    if interviews::mark_ended(state.db(), &id, outcome).await? {
        let item = json!({"type": "ended_by_agent", "outcome": outcome, "reason": end.reason,
                          "at": crate::time::now_rfc3339()});
        agent_store::append(state.db(), &id, Log::Events, item, None).await?;
        // Whoever is still in the room (the agent saying goodbye, an observer) is let go
        // and the candidate's token no longer gets in.
        crate::livekit::close_room(state.config(), &interview.room_name).await;
        if end.outcome != contract::agent::Outcome::Failed {
            crate::evaluation::enqueue(&state, &owner, &id).await?;
        }
    }
    let (_, now) = load(&state, &id).await?;
    Ok(Json(json!({ "status": now.status })))
}

/// Appends delivery timeline points of one agent session (a point already stored for its
/// session and second is kept as it was, so a retried batch is harmless).
#[utoipa::path(post, path = "/api/v1/internal/interviews/{id}/timeline", operation_id = "agent_timeline", tag = "internal",
    security(("bearer" = [])), params(("id" = String, Path, description = "Interview id")), request_body = TimelineBatch,
    responses((status = 200, description = "Stored; the points the interview holds", body = Object),
        (status = 400, description = "Bad JSON, timeline full (21600 points) or too many sessions (20)", body = crate::openapi::ErrorBody),
        (status = 401, description = "Invalid service token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview", body = crate::openapi::ErrorBody),
        (status = 422, description = "Invalid batch: unknown version, over 300 points, or a measure out of range", body = crate::openapi::ErrorBody)))]
pub(crate) async fn timeline(
    State(state): State<AppState>,
    _service: Service,
    id: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let id = path_id(id)?;
    let batch: TimelineBatch = super::from_object(body)?;
    let n = crate::delivery::append(state.db(), &id, &batch).await?;
    Ok(Json(json!({ "points": n })))
}

/// Stores (or replaces) one agent session's delivery summary.
#[utoipa::path(put, path = "/api/v1/internal/interviews/{id}/delivery", operation_id = "agent_delivery", tag = "internal",
    security(("bearer" = [])), params(("id" = String, Path, description = "Interview id")), request_body = DeliverySummary,
    responses((status = 200, description = "Stored", body = crate::routes::auth::Message),
        (status = 400, description = "Bad JSON or too many sessions (20)", body = crate::openapi::ErrorBody),
        (status = 401, description = "Invalid service token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview", body = crate::openapi::ErrorBody),
        (status = 422, description = "Invalid summary", body = crate::openapi::ErrorBody)))]
pub(crate) async fn delivery(
    State(state): State<AppState>,
    _service: Service,
    id: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, Value>>,
) -> Result<Json<crate::routes::auth::Message>, ApiError> {
    let id = path_id(id)?;
    let summary: DeliverySummary = super::from_object(body)?;
    crate::delivery::set_summary(state.db(), &id, &summary).await?;
    Ok(Json(crate::routes::auth::Message {
        message: "Delivery summary stored",
    }))
}

async fn load(state: &AppState, id: &str) -> Result<(String, Interview), ApiError> {
    let owner = agent_store::owner(state.db(), id).await?;
    let interview = interviews::by_id(state.db(), &owner, id)
        .await?
        .ok_or_else(interviews::not_found)?;
    Ok((owner, interview))
}

/// The interview, its role, job description, parsed resume and plan.
#[utoipa::path(get, path = "/api/v1/internal/interviews/{id}/context", operation_id = "agent_context", tag = "internal",
    security(("bearer" = [])), params(("id" = String, Path, description = "Interview id")),
    responses((status = 200, description = "The context", body = AgentContext),
        (status = 401, description = "Invalid service token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview", body = crate::openapi::ErrorBody)))]
pub(crate) async fn context(
    State(state): State<AppState>,
    _service: Service,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<AgentContext>, ApiError> {
    let id = path_id(id)?;
    let (owner, interview) = load(&state, &id).await?;
    let role = match &interview.role_id {
        Some(role_id) => crate::roles::by_id(state.db(), &owner, role_id).await?,
        None => None,
    };
    let resume = match &interview.resume_id {
        Some(resume_id) => crate::resumes::store::get(state.db(), &owner, resume_id).await?,
        None => None,
    };
    let plan = role.as_ref().map_or_else(
        || json!({"technical": 3, "behavioral": 2, "coding": 0}),
        |r| json!(r.interview_structure),
    );
    Ok(Json(AgentContext {
        job_description: interview.job_description.clone(),
        role: role.map_or(Value::Null, |r| json!(r)),
        resume: resume.map_or(Value::Null, |r| json!(r.parsed)),
        plan,
        interview,
    }))
}

/// Phase, transcript, events and report so far.
#[utoipa::path(get, path = "/api/v1/internal/interviews/{id}/state", operation_id = "agent_state", tag = "internal",
    security(("bearer" = [])), params(("id" = String, Path, description = "Interview id")),
    responses((status = 200, description = "The state", body = AgentState),
        (status = 401, description = "Invalid service token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview", body = crate::openapi::ErrorBody)))]
pub(crate) async fn agent_state(
    State(state): State<AppState>,
    _service: Service,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<AgentState>, ApiError> {
    let id = path_id(id)?;
    let (owner, interview) = load(&state, &id).await?;
    let report = interviews::report(state.db(), &owner, &id).await?;
    let transcript = crate::transcript::list(state.db(), &id).await?;
    let transcript = transcript
        .into_iter()
        .map(|t| {
            let role = contract::agent::Speaker::try_from(t.role)
                .map_err(|e| ApiError::Internal(e.into()))?;
            Ok(contract::agent::StoredTurn {
                turn: t.turn,
                role,
                text: t.text,
                code: t.code,
                language: t.language,
                at: t.at,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let events = match agent_store::events(state.db(), &id).await? {
        Value::Array(events) => events,
        _ => Vec::new(),
    };
    Ok(Json(AgentState {
        status: interview.status,
        phase: interview.phase,
        dispatch_count: interview.dispatch_count,
        transcript,
        events,
        report: Some(report).filter(|r| !r.is_null()),
    }))
}

/// Appends a transcript turn.
#[utoipa::path(post, path = "/api/v1/internal/interviews/{id}/transcript", operation_id = "agent_transcript", tag = "internal",
    security(("bearer" = [])), params(("id" = String, Path, description = "Interview id")), request_body = Turn,
    responses((status = 200, description = "Stored; the transcript's length", body = Object),
        (status = 400, description = "Bad JSON or transcript full (5000 turns or 1 MiB)", body = crate::openapi::ErrorBody),
        (status = 401, description = "Invalid service token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview", body = crate::openapi::ErrorBody),
        (status = 422, description = "Invalid turn", body = crate::openapi::ErrorBody)))]
pub(crate) async fn transcript(
    State(state): State<AppState>,
    _service: Service,
    id: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let id = path_id(id)?;
    let turn: Turn = super::from_object(body)?;
    let role = match turn.role {
        contract::agent::Speaker::Interviewer => crate::transcript::Speaker::Interviewer,
        contract::agent::Speaker::Candidate => crate::transcript::Speaker::Candidate,
    };
    let n = crate::transcript::append(
        state.db(),
        &id,
        &crate::transcript::NewTurn {
            role,
            text: &turn.text,
            code: turn.code.as_deref(),
            language: None,
        },
    )
    .await?;
    Ok(Json(json!({ "turn_count": n, "turn": n })))
}

/// Records a metric sample, a nudge, or a phase change.
#[utoipa::path(post, path = "/api/v1/internal/interviews/{id}/events", operation_id = "agent_event", tag = "internal",
    security(("bearer" = [])), params(("id" = String, Path, description = "Interview id")), request_body = AgentEvent,
    responses((status = 200, description = "Stored; the events' length", body = Object),
        (status = 400, description = "Bad JSON or log full", body = crate::openapi::ErrorBody),
        (status = 401, description = "Invalid service token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview", body = crate::openapi::ErrorBody),
        (status = 422, description = "Invalid event", body = crate::openapi::ErrorBody)))]
pub(crate) async fn event(
    State(state): State<AppState>,
    _service: Service,
    id: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let id = path_id(id)?;
    let event: AgentEvent = super::from_object(body)?;
    use contract::agent::EventKind;
    let phase = match (event.kind, event.phase) {
        (EventKind::Phase, Some(p)) => Some(p.as_str()),
        (kind, None) if kind != EventKind::Phase => None,
        _ => {
            return Err(ApiError::Unprocessable(
                "phase is given with type phase, and only then".to_owned(),
            ));
        }
    };
    let data = Value::Object(event.data.clone().unwrap_or_default());
    if data.to_string().len() > 10_000 {
        return Err(ApiError::Unprocessable(
            "data must be at most 10000 bytes".to_owned(),
        ));
    }
    let item = json!({"type": event.kind.as_str(), "phase": phase, "data": data, "at": crate::time::now_rfc3339()});
    let n = agent_store::append(state.db(), &id, Log::Events, item, phase).await?;
    Ok(Json(json!({ "event_count": n })))
}

/// Stores the final report.
#[utoipa::path(post, path = "/api/v1/internal/interviews/{id}/report", operation_id = "agent_report", tag = "internal",
    security(("bearer" = [])), params(("id" = String, Path, description = "Interview id")), request_body = AgentReport,
    responses((status = 200, description = "Stored", body = crate::routes::auth::Message),
        (status = 400, description = "Bad JSON", body = crate::openapi::ErrorBody),
        (status = 401, description = "Invalid service token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview", body = crate::openapi::ErrorBody),
        (status = 422, description = "Invalid report", body = crate::openapi::ErrorBody)))]
pub(crate) async fn report(
    State(state): State<AppState>,
    _service: Service,
    id: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, Value>>,
) -> Result<Json<crate::routes::auth::Message>, ApiError> {
    let id = path_id(id)?;
    let r: AgentReport = super::from_object(body)?;
    let report = Value::Object(r.report);
    if report.to_string().len() > 100_000
        || r.technical_score.is_some_and(|s| s > 100)
        || r.behavioral_score.is_some_and(|s| s > 100)
        || r.overall_feedback
            .as_ref()
            .is_some_and(|f| f.chars().count() > 20_000)
    {
        return Err(ApiError::Unprocessable(
            "report at most 100000 bytes, scores 0 to 100, feedback at most 20000 characters"
                .to_owned(),
        ));
    }
    agent_store::set_report(
        state.db(),
        &id,
        &report,
        r.technical_score.map(i64::from),
        r.behavioral_score.map(i64::from),
        r.overall_feedback.as_deref(),
    )
    .await?;
    Ok(Json(crate::routes::auth::Message {
        message: "Report stored",
    }))
}
