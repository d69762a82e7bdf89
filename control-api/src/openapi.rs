//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` attributes, served at
//! `/openapi.json`; `/docs` (see `routes::docs`) renders it with a vendored Swagger UI.
//!
//! **Invariant:** every route of [`crate::app`] except the infrastructure ones listed in
//! [`UNDOCUMENTED`] appears in [`ApiDoc`]; `tests/openapi.rs` fails when one is missing.
//! To add a route: annotate its handler with `#[utoipa::path]`, make it `pub(crate)`, and add it
//! to `paths(...)` below (its body and response types to `components(schemas(...))`).

use axum::Router;
use axum::routing::get;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::openapi::{OpenApi as Document, PathItem, RefOr};
use utoipa::{Modify, OpenApi};

use crate::AppState;
use crate::json::Json;

/// Routes served but deliberately left out of the document (documentation, scraping and the
/// pages people open in a browser).
pub const UNDOCUMENTED: &[&str] = &[
    "/openapi.json",
    "/docs",
    "/metrics",
    "/ws/analysis/{session_id}",
    "/",
    "/console",
    "/i/{token}",
    "/favicon.ico",
];

/// The document of the whole `/api/v1` surface plus the root probes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "AI interviewer control API",
        description = "Accounts, API keys, roles, resumes, interviews and LiveKit room tokens. \
                       Every failure is `{\"detail\": ..., \"status_code\": ...}`."
    ),
    paths(
        crate::routes::health::health,
        crate::routes::health::ready,
        crate::routes::auth::register,
        crate::routes::auth::login,
        crate::routes::auth::refresh,
        crate::routes::auth::logout,
        crate::routes::auth::me,
        crate::routes::users::update_me,
        crate::routes::statistics::statistics,
        crate::routes::api_keys::create,
        crate::routes::api_keys::list,
        crate::routes::api_keys::deactivate,
        crate::routes::roles::create,
        crate::routes::roles::list,
        crate::routes::roles::read,
        crate::routes::roles::update,
        crate::routes::roles::remove,
        crate::routes::interviews::create,
        crate::routes::interviews::list,
        crate::routes::interviews::read,
        crate::routes::interviews::update,
        crate::routes::interviews::remove,
        crate::routes::interview_live::start,
        crate::routes::interview_live::token,
        crate::routes::interview_live::state,
        crate::routes::interview_live::complete,
        crate::routes::interview_live::report,
        crate::routes::interview_live::override_report,
        crate::routes::interview_live::timeline,
        crate::routes::interview_live::api_create,
        crate::routes::interview_live::api_token,
        crate::routes::invites::create,
        crate::routes::invites::read,
        crate::routes::invites::consent,
        crate::routes::invites::join,
        crate::routes::invites::code,
        crate::routes::code_submissions::submit_code,
        crate::routes::voice::voice_token,
        crate::routes::internal::context,
        crate::routes::internal::agent_state,
        crate::routes::internal::transcript,
        crate::routes::internal::event,
        crate::routes::internal::report,
        crate::routes::internal::timeline,
        crate::routes::internal::end,
        crate::routes::internal::delivery,
        crate::routes::webhooks::receive,
        crate::routes::resumes::parse,
        crate::routes::resumes::upload,
        crate::routes::resumes::list,
        crate::routes::resumes::list_user,
        crate::routes::resumes::read,
        crate::routes::resumes::update,
        crate::routes::resumes::remove,
        crate::routes::resumes::download,
    ),
    components(schemas(
        ErrorBody,
        User,
        crate::routes::health::Health,
        crate::routes::auth::RegisterRequest,
        crate::routes::auth::LoginRequest,
        crate::routes::auth::TokenResponse,
        crate::routes::auth::RefreshRequest,
        crate::routes::auth::Message,
        crate::routes::users::UserUpdate,
        crate::routes::statistics::UserStatistics,
        crate::routes::api_keys::ApiKeyCreate,
        crate::api_keys::ApiKey,
        crate::api_keys::CreatedApiKey,
        crate::roles::RoleInput,
        crate::roles::Role,
        crate::roles::RequiredSkill,
        crate::roles::InterviewStructure,
        crate::roles::RubricDimension,
        crate::interviews::InterviewCreate,
        crate::interviews::InterviewUpdate,
        crate::interviews::Interview,
        crate::routes::interview_live::StartResponse,
        crate::routes::invites::InviteCreate,
        crate::routes::invites::InvitePage,
        crate::routes::invites::Disclosure,
        crate::routes::invites::ConsentRecord,
        crate::routes::invites::ConsentBody,
        crate::routes::invites::JoinResponse,
        crate::invites::CreatedInvite,
        crate::routes::interview_live::TokenResponse,
        crate::routes::interview_live::InterviewState,
        crate::routes::interview_live::InterviewReport,
        crate::routes::interview_live::CompletedInterview,
        crate::routes::code_submissions::CodeSubmission,
        crate::routes::code_submissions::CodeSubmitted,
        crate::routes::voice::VoiceTokenRequest,
        crate::routes::voice::VoiceToken,
        crate::routes::internal::AgentContext,
        crate::routes::internal::AgentState,
        contract::agent::StoredTurn,
        contract::agent::EventData,
        crate::routes::internal::Turn,
        crate::transcript::TranscriptTurn,
        crate::evaluation::Evaluation,
        crate::evaluation::Override,
        crate::evaluation::OverrideRequest,
        crate::evaluation::Report,
        crate::evaluation::DimensionScore,
        crate::evaluation::SkillScore,
        crate::evaluation::Evidence,
        crate::evaluation::Recommendation,
        crate::routes::internal::AgentEvent,
        crate::routes::internal::AgentEnd,
        crate::delivery::Timeline,
        crate::delivery::TimelineEntry,
        crate::delivery::TimelineSession,
        crate::delivery::Coaching,
        crate::delivery::Volume,
        contract::delivery::DeliveryPoint,
        contract::delivery::TimelineBatch,
        contract::delivery::DeliverySummary,
        contract::delivery::AudioFeatures,
        contract::delivery::NudgeMessage,
        contract::delivery::NudgeKind,
        crate::routes::internal::AgentReport,
        crate::resumes::ParsedResume,
        crate::resumes::ContactInfo,
        crate::resumes::Experience,
        crate::resumes::Education,
        crate::resumes::store::Resume,
        crate::routes::resumes::UploadForm,
        crate::routes::resumes::ResumeUpdate,
        crate::routes::resumes::ResumePage,
    )),
    modifiers(&BearerAuth, &Aliases, &CommonResponses, &Links),
    tags(
        (name = "health", description = "Liveness and readiness probes"),
        (name = "auth", description = "Registration, login, tokens"),
        (name = "users", description = "The caller's profile"),
        (name = "api-keys", description = "Keys for integrations: create, list, deactivate"),
        (name = "roles", description = "Job roles: skills, interview structure, rubric"),
        (name = "interviews", description = "Interviews, their LiveKit rooms, tokens, state and reports"),
        (name = "internal", description = "The agent's side, authenticated with SERVICE_TOKEN"),
        (name = "resumes", description = "Resume upload and parsing"),
    )
)]
pub struct ApiDoc;

/// The body of every error response, as the document describes it. It mirrors
/// [`crate::error::ErrorBody`] (which stays free of documentation concerns); schemathesis checks
/// that real error responses match it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only its schema is used.
pub struct ErrorBody {
    /// Human-readable explanation.
    pub detail: String,
    /// The HTTP status code, repeated in the body.
    pub status_code: u16,
    /// Only on 410: `expired` or `ended`.
    pub reason: Option<String>,
}

/// A user as the API shows it; mirrors [`crate::accounts::User`] for the document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only its schema is used.
pub struct User {
    pub id: String,
    pub email: String,
    pub username: Option<String>,
    pub full_name: Option<String>,
    pub is_active: bool,
    pub is_superuser: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// Routes of this module: the document itself.
pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi_json))
}

/// The document as served (built once per request; it is small and requests are rare).
pub fn document() -> Document {
    ApiDoc::openapi()
}

/// The document as JSON, with the link objects' keys in OpenAPI's camelCase (utoipa 5
/// serializes `Link` fields in snake_case, which tools reject).
pub fn document_json() -> serde_json::Value {
    let mut json = serde_json::to_value(document()).unwrap_or_default();
    let operations = json
        .get_mut("paths")
        .and_then(|paths| paths.as_object_mut())
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut());
    for operation in operations {
        let links = operation
            .get_mut("responses")
            .and_then(|responses| responses.as_object_mut())
            .into_iter()
            .flat_map(|responses| responses.values_mut())
            .filter_map(|response| response.get_mut("links"))
            .filter_map(|links| links.as_object_mut())
            .flat_map(|links| links.values_mut())
            .filter_map(|link| link.as_object_mut());
        for link in links {
            for (snake, camel) in [
                ("operation_id", "operationId"),
                ("operation_ref", "operationRef"),
                ("request_body", "requestBody"),
            ] {
                if let Some(value) = link.remove(snake) {
                    link.insert(camel.to_owned(), value);
                }
            }
        }
    }
    json
}

async fn openapi_json() -> Json<serde_json::Value> {
    Json(document_json())
}

/// The answers every `/api/v1` operation can give besides its own: 429 from the per-address
/// limit (requests without accepted credentials) or the per-user and per-key limits, and 422
/// for control characters in its path, query or body ([`crate::text`]). Added where an
/// operation does not document them itself.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut Document) {
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let path_params = path.contains('{');
            for op in operations(item) {
                let responses = &mut op.responses.responses;
                if !responses.contains_key("429") {
                    responses.insert("429".to_owned(), error("Rate limit exceeded"));
                }
                let takes_text = path_params
                    || op.request_body.is_some()
                    || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                if takes_text && !responses.contains_key("422") {
                    responses.insert(
                        "422".to_owned(),
                        error("NUL or another control character in the path, query or body"),
                    );
                }
            }
        }
    }
}

/// Declares the `bearer` security scheme the annotated paths refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or sk_ API key")
                    .build(),
            ),
        );
    }
}

/// One handler served at several paths: (alias path, documented path, operation-id suffix).
/// The alias gets a copy of every operation of the documented path, with a unique id.
const ALIASES: &[(&str, &str, &str)] = &[
    ("/health", "/api/v1/health", "root"),
    ("/ready", "/api/v1/ready", "root"),
    ("/api/v1/auth/token", "/api/v1/auth/login", "oauth2_form"),
    ("/api/v1/users/me", "/api/v1/auth/me", "users"),
    ("/api/v1/interviews/", "/api/v1/interviews", "slash"),
    ("/api/v1/api-keys/", "/api/v1/api-keys", "slash"),
    (
        "/api/v1/interviews/{id}/feedback",
        "/api/v1/interviews/{id}/report",
        "feedback",
    ),
];

/// Copies the documented operations onto their alias paths.
struct Aliases;

impl Modify for Aliases {
    fn modify(&self, openapi: &mut Document) {
        for (alias, documented, suffix) in ALIASES {
            let Some(item) = openapi.paths.paths.get(*documented).cloned() else {
                continue;
            };
            let copy = renamed(item, suffix);
            let merged = match openapi.paths.paths.remove(*alias) {
                Some(existing) => merge(existing, copy),
                None => copy,
            };
            openapi.paths.paths.insert((*alias).to_owned(), merged);
        }
    }
}

/// The operations of a path item, for editing.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

fn renamed(mut item: PathItem, suffix: &str) -> PathItem {
    for op in operations(&mut item) {
        if let Some(id) = &op.operation_id {
            op.operation_id = Some(format!("{id}_{suffix}"));
        }
    }
    item
}

fn merge(mut into: PathItem, from: PathItem) -> PathItem {
    into.get = into.get.or(from.get);
    into.put = into.put.or(from.put);
    into.post = into.post.or(from.post);
    into.delete = into.delete.or(from.delete);
    into.patch = into.patch.or(from.patch);
    into
}

/// OpenAPI links: where an id a create response returns can be used next (schemathesis'
/// stateful phase follows them): (create path, status, target operation ids). Each link is
/// named after its target and passes `$response.body#/id` as the `id` path parameter.
const LINKS: &[(&str, &str, &[&str])] = &[
    (
        "/api/v1/resumes/upload",
        "201",
        &[
            "read_resume",
            "update_resume",
            "download_resume",
            "delete_resume",
        ],
    ),
    (
        "/api/v1/roles",
        "200",
        &["read_role", "update_role", "delete_role"],
    ),
    (
        "/api/v1/interviews",
        "200",
        &[
            "read_interview",
            "update_interview",
            "delete_interview",
            "start_interview",
            "interview_token",
            "interview_state",
            "complete_interview",
            "interview_report",
            "api_interview_token",
            "submit_code",
        ],
    ),
];

/// `read_resume` -> `ReadResume`.
fn link_name(operation_id: &str) -> String {
    operation_id
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Adds [`LINKS`] to the POST responses they start from.
struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut Document) {
        for (path, status, targets) in LINKS {
            let Some(RefOr::T(response)) = openapi
                .paths
                .paths
                .get_mut(*path)
                .and_then(|item| item.post.as_mut())
                .and_then(|op| op.responses.responses.get_mut(*status))
            else {
                continue;
            };
            for target in *targets {
                let link = LinkBuilder::new()
                    .operation_id(*target)
                    .parameter("id", "$response.body#/id")
                    .build();
                response.links.insert(link_name(target), RefOr::T(link));
            }
        }
    }
}
