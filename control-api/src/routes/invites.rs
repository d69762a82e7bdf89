//! Invite links: the recruiter makes one for an interview; the candidate's page reads it,
//! records consent, joins the room and submits code through it. The link's token is the
//! candidate's only credential, so every candidate endpoint here checks that it is known,
//! not expired, and that its interview has not ended.

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::interviews::{self, Interview};
use crate::invites::{self, CreatedInvite, Invite, Lookup};
use crate::json::Json;
use crate::principal::Principal;
use crate::routes::code_submissions::{CodeSubmission, CodeSubmitted};
use crate::routes::interviews::path_id;

/// Body of a new invite link: its validity, in minutes or seconds (at most 30 days;
/// default 3 days).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteCreate {
    #[schema(minimum = 1, maximum = 43200)]
    pub expires_in_minutes: Option<u64>,
    #[schema(minimum = 1, maximum = 2592000)]
    pub expires_in_seconds: Option<u64>,
}

/// The disclosure the candidate reads before consenting.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Disclosure {
    /// Consent is recorded against this version.
    pub version: &'static str,
    /// Who interviews: always an AI interviewer.
    pub interviewer: &'static str,
    /// Paragraphs separated by blank lines, in the interview's language.
    pub text: &'static str,
}

/// Consent as recorded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsentRecord {
    /// RFC 3339.
    pub given_at: String,
    pub version: String,
}

/// What the candidate's page shows before joining.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitePage {
    pub interview_id: String,
    pub candidate_name: Option<String>,
    /// The role's name, when the interview has a role.
    pub role_title: Option<String>,
    pub position: Option<String>,
    pub duration_minutes: i64,
    pub language: String,
    /// `scheduled` or `in_progress`.
    pub status: String,
    pub phase: String,
    /// Seconds left once started; null before.
    pub remaining_s: Option<i64>,
    /// RFC 3339.
    pub expires_at: String,
    pub disclosure: Disclosure,
    /// The consent given through this link to the current disclosure; null before.
    pub consent: Option<ConsentRecord>,
    /// Whether coaching nudges are shown in this interview.
    pub nudges: bool,
}

/// Body of a consent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// The disclosure version the candidate read.
    pub version: String,
}

/// What the page needs to join the room.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JoinResponse {
    pub interview_id: String,
    /// LiveKit server URL.
    pub url: String,
    /// LiveKit token for the candidate.
    pub token: String,
    pub room_name: String,
    /// The candidate's identity, the same on every join: a second tab takes the room over.
    pub identity: String,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/interviews/{id}/invites", post(create))
        .route("/invites/{token}", get(read))
        .route("/invites/{token}/consent", post(consent))
        .route("/invites/{token}/join", post(join))
        .route("/invites/{token}/code", post(code))
}

/// Makes an invite link for the caller's interview; the token is shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/interviews/{id}/invites",
    operation_id = "create_invite",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    request_body = InviteCreate,
    responses(
        (status = 201, description = "The link, with its token shown once", body = CreatedInvite),
        (status = 400, description = "Interview is over", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the caller", body = crate::openapi::ErrorBody),
        (status = 422, description = "Bad validity", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<(StatusCode, Json<CreatedInvite>), ApiError> {
    let id = path_id(id)?;
    let body: InviteCreate = super::from_object(body)?;
    let validity = match (body.expires_in_minutes, body.expires_in_seconds) {
        (Some(_), Some(_)) => {
            return Err(ApiError::Unprocessable(
                "give expires_in_minutes or expires_in_seconds, not both".to_owned(),
            ));
        }
        (Some(m), None) => m.checked_mul(60),
        (None, Some(s)) => Some(s),
        (None, None) => Some(invites::DEFAULT_VALIDITY_SECS),
    };
    let validity = validity
        .filter(|s| (1..=invites::MAX_VALIDITY_SECS).contains(s))
        .ok_or_else(|| {
            ApiError::Unprocessable("an invite is valid for 1 second to 30 days".to_owned())
        })?;
    let interview = interviews::by_id(state.db(), &principal.user.id, &id)
        .await?
        .ok_or_else(interviews::not_found)?;
    if interviews::is_ended(&interview.status) {
        return Err(ApiError::BadRequest("interview is over".to_owned()));
    }
    let created = invites::create(state.db(), &id, validity, &public_url(&state)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The address candidates open: `PUBLIC_URL`, or this service's own bind address.
fn public_url(state: &AppState) -> String {
    let config = state.config();
    if config.public_url.is_empty() {
        format!("http://{}", config.bind)
    } else {
        config.public_url.clone()
    }
}

/// The live invite of `token` with its interview and the interview's owner.
async fn live(state: &AppState, token: &str) -> Result<(Invite, Interview, String), ApiError> {
    let invite = match invites::find(state.db(), token).await? {
        Lookup::Valid(invite) => invite,
        Lookup::Unknown => {
            return Err(ApiError::NotFound(
                "This invite link is not valid.".to_owned(),
            ));
        }
        Lookup::Expired => {
            return Err(ApiError::Gone {
                reason: "expired",
                detail: "This invite link has expired. Ask your recruiter for a new one."
                    .to_owned(),
            });
        }
    };
    let owner = crate::agent_store::owner(state.db(), &invite.interview_id).await?;
    let interview = interviews::by_id(state.db(), &owner, &invite.interview_id)
        .await?
        .ok_or_else(interviews::not_found)?;
    if interviews::is_ended(&interview.status) {
        return Err(ApiError::Gone {
            reason: "ended",
            detail: "This interview is over. Thank you.".to_owned(),
        });
    }
    Ok((invite, interview, owner))
}

fn token_of(token: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    super::path_param(token, || {
        ApiError::NotFound("This invite link is not valid.".to_owned())
    })
}

/// Seconds left of a started interview.
fn remaining(interview: &Interview) -> Option<i64> {
    let started = crate::time::parse_rfc3339(interview.started_at.as_deref()?)?;
    let end = started + u64::try_from(interview.duration_minutes).ok()? * 60;
    let now = crate::time::unix_now();
    Some(i64::try_from(end.saturating_sub(now)).unwrap_or(0))
}

/// What the candidate's page shows before joining.
#[utoipa::path(
    get,
    path = "/api/v1/invites/{token}",
    operation_id = "read_invite",
    tag = "interviews",
    params(("token" = String, Path, description = "The invite link's token")),
    responses(
        (status = 200, description = "The interview as the candidate sees it", body = InvitePage),
        (status = 404, description = "Not a valid link", body = crate::openapi::ErrorBody),
        (status = 410, description = "The link expired (`reason: expired`) or its interview is over (`reason: ended`)", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn read(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> Result<Json<InvitePage>, ApiError> {
    let token = token_of(token)?;
    let (invite, interview, owner) = live(&state, &token).await?;
    let role_title = match &interview.role_id {
        Some(role) => crate::roles::by_id(state.db(), &owner, role)
            .await?
            .map(|r| r.name),
        None => None,
    };
    let consent = match (invite.consent_at, invite.consent_version) {
        (Some(given_at), Some(version)) if version == invites::DISCLOSURE_VERSION => {
            Some(ConsentRecord { given_at, version })
        }
        _ => None,
    };
    let nudges = interview
        .interview_config
        .get("nudges")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(true);
    Ok(Json(InvitePage {
        remaining_s: remaining(&interview),
        interview_id: interview.id,
        candidate_name: interview.candidate_name,
        role_title,
        position: interview.position,
        duration_minutes: interview.duration_minutes,
        disclosure: Disclosure {
            version: invites::DISCLOSURE_VERSION,
            interviewer: "AI interviewer",
            text: invites::disclosure(&interview.language),
        },
        language: interview.language,
        status: interview.status,
        phase: interview.phase,
        expires_at: crate::time::rfc3339(invite.expires_at),
        consent,
        nudges,
    }))
}

/// Records the candidate's consent to the disclosure they read.
#[utoipa::path(
    post,
    path = "/api/v1/invites/{token}/consent",
    operation_id = "invite_consent",
    tag = "interviews",
    params(("token" = String, Path, description = "The invite link's token")),
    request_body = ConsentBody,
    responses(
        (status = 200, description = "Recorded", body = ConsentRecord),
        (status = 400, description = "Bad JSON", body = crate::openapi::ErrorBody),
        (status = 404, description = "Not a valid link", body = crate::openapi::ErrorBody),
        (status = 409, description = "Not the current disclosure", body = crate::openapi::ErrorBody),
        (status = 410, description = "Expired link or interview over", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body over the size limit", body = crate::openapi::ErrorBody),
        (status = 422, description = "Missing or unknown fields", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn consent(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<ConsentRecord>, ApiError> {
    let token = token_of(token)?;
    // A malformed body is refused as such whatever the link's state.
    let body: ConsentBody = super::from_object(body)?;
    let (invite, interview, _) = live(&state, &token).await?;
    if body.version != invites::DISCLOSURE_VERSION {
        return Err(ApiError::Conflict(format!(
            "the disclosure changed: read version {} and consent again",
            invites::DISCLOSURE_VERSION
        )));
    }
    let given_at = invites::consent(state.db(), &invite.id, &body.version).await?;
    let item = serde_json::json!({
        "type": "consent_page",
        "data": { "version": body.version, "invite": invite.id },
        "at": given_at,
    });
    crate::agent_store::append(
        state.db(),
        &interview.id,
        crate::agent_store::Log::Events,
        item,
        None,
    )
    .await?;
    Ok(Json(ConsentRecord {
        given_at,
        version: body.version,
    }))
}

/// Starts the interview if it has not started (one room, one dispatch) and returns the
/// candidate's room token. Consent comes first.
#[utoipa::path(
    post,
    path = "/api/v1/invites/{token}/join",
    operation_id = "invite_join",
    tag = "interviews",
    params(("token" = String, Path, description = "The invite link's token")),
    responses(
        (status = 200, description = "Room open, agent dispatched by the first join", body = JoinResponse),
        (status = 404, description = "Not a valid link", body = crate::openapi::ErrorBody),
        (status = 409, description = "Consent not given yet", body = crate::openapi::ErrorBody),
        (status = 410, description = "Expired link or interview over", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn join(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> Result<Json<JoinResponse>, ApiError> {
    let token = token_of(token)?;
    let (invite, interview, owner) = live(&state, &token).await?;
    if invite.consent_version.as_deref() != Some(invites::DISCLOSURE_VERSION) {
        return Err(ApiError::Conflict(
            "read the disclosure and consent before joining".to_owned(),
        ));
    }
    let started =
        crate::routes::interview_live::open_for_candidate(&state, &owner, &interview.id).await?;
    let joins = invites::joined(state.db(), &invite.id).await?;
    tracing::info!(interview = %interview.id, joins, "candidate joined by invite");
    Ok(Json(JoinResponse {
        identity: crate::routes::interview_live::candidate_identity(&started.interview_id),
        interview_id: started.interview_id,
        url: started.url,
        token: started.token,
        room_name: started.room_name,
    }))
}

/// The candidate's code, recorded on the transcript (not run: there is no sandbox yet).
#[utoipa::path(
    post,
    path = "/api/v1/invites/{token}/code",
    operation_id = "invite_code",
    tag = "interviews",
    params(("token" = String, Path, description = "The invite link's token")),
    request_body = CodeSubmission,
    responses(
        (status = 200, description = "Recorded", body = CodeSubmitted),
        (status = 400, description = "Bad JSON or full transcript", body = crate::openapi::ErrorBody),
        (status = 404, description = "Not a valid link", body = crate::openapi::ErrorBody),
        (status = 410, description = "Expired link or interview over", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body over the size limit", body = crate::openapi::ErrorBody),
        (status = 422, description = "Missing fields, wrong types or out-of-range values", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn code(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<CodeSubmitted>, ApiError> {
    let token = token_of(token)?;
    let (_, interview, owner) = live(&state, &token).await?;
    let body: CodeSubmission = super::from_object(body)?;
    crate::routes::code_submissions::record(&state, &owner, &interview.id, &body)
        .await
        .map(Json)
}
