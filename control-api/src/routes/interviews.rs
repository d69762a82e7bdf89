//! `/interviews`: create, list (pagination, filters), get, update, delete (seed 003).

use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::routing::get;

use crate::AppState;
use crate::error::ApiError;
use crate::interviews::{self, Interview, InterviewCreate, InterviewFilter, InterviewUpdate};
use crate::json::Json;
use crate::principal::Principal;
use crate::routes::auth::Message;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/interviews", get(list).post(create))
        // Seeds 000 and 003 write the collection with a trailing slash.
        .route("/interviews/", get(list).post(create))
        .route("/interviews/{id}", get(read).put(update).delete(remove))
}

pub(crate) fn path_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    super::path_param(id, interviews::not_found)
}

/// Creates an interview (status `scheduled`; the room is opened by `start`).
#[utoipa::path(
    post,
    path = "/api/v1/interviews",
    operation_id = "create_interview",
    tag = "interviews",
    security(("bearer" = [])),
    request_body = InterviewCreate,
    responses(
        (status = 200, description = "The stored interview", body = Interview),
        (status = 400, description = "Bad JSON or inactive user", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "role_id or resume_id is not the caller's", body = crate::openapi::ErrorBody),
        (status = 422, description = "Wrong types, missing fields or values out of range", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Interview>, ApiError> {
    let input: InterviewCreate = super::from_object(body)?;
    Ok(Json(
        interviews::insert(state.db(), &principal.user.id, &input).await?,
    ))
}

/// The caller's interviews, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/interviews",
    operation_id = "list_interviews",
    tag = "interviews",
    security(("bearer" = [])),
    params(InterviewFilter),
    responses(
        (status = 200, description = "A page of interviews", body = Vec<Interview>),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 422, description = "Invalid query", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    filter: Result<Query<InterviewFilter>, QueryRejection>,
) -> Result<Json<Vec<Interview>>, ApiError> {
    let Query(filter) = filter.map_err(|e| ApiError::Unprocessable(e.body_text()))?;
    Ok(Json(
        interviews::list(state.db(), &principal.user.id, &filter).await?,
    ))
}

/// One of the caller's interviews.
#[utoipa::path(
    get,
    path = "/api/v1/interviews/{id}",
    operation_id = "read_interview",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    responses(
        (status = 200, description = "The interview", body = Interview),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the caller", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn read(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Interview>, ApiError> {
    let id = path_id(id)?;
    interviews::by_id(state.db(), &principal.user.id, &id)
        .await?
        .map(Json)
        .ok_or_else(interviews::not_found)
}

/// Changes fields of one of the caller's interviews.
#[utoipa::path(
    put,
    path = "/api/v1/interviews/{id}",
    operation_id = "update_interview",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    request_body = InterviewUpdate,
    responses(
        (status = 200, description = "The updated interview", body = Interview),
        (status = 400, description = "Bad JSON", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the caller", body = crate::openapi::ErrorBody),
        (status = 422, description = "Wrong types or values out of range", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn update(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Interview>, ApiError> {
    let id = path_id(id)?;
    let input: InterviewUpdate = super::from_object(body)?;
    Ok(Json(
        interviews::update(state.db(), &principal.user.id, &id, &input).await?,
    ))
}

/// Deletes one of the caller's interviews.
#[utoipa::path(
    delete,
    path = "/api/v1/interviews/{id}",
    operation_id = "delete_interview",
    tag = "interviews",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Interview id")),
    responses(
        (status = 200, description = "Deleted", body = Message),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such interview of the caller", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Message>, ApiError> {
    let id = path_id(id)?;
    let interview = interviews::by_id(state.db(), &principal.user.id, &id)
        .await?
        .ok_or_else(interviews::not_found)?;
    interviews::delete(state.db(), &principal.user.id, &id).await?;
    if interview.dispatch_count > 0 {
        crate::livekit::close_room(state.config(), &interview.room_name).await;
    }
    Ok(Json(Message {
        message: "Interview deleted successfully",
    }))
}
