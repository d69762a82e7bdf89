//! `/roles`: CRUD of the caller's job roles with list filters (seed 002).

use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::routing::get;

use crate::AppState;
use crate::error::ApiError;
use crate::json::Json;
use crate::principal::Principal;
use crate::roles::{self, Role, RoleFilter, RoleInput};
use crate::routes::auth::Message;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/roles", get(list).post(create))
        .route("/roles/{id}", get(read).put(update).delete(remove))
}

fn path_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    super::path_param(id, roles::not_found)
}

/// Creates a role.
#[utoipa::path(
    post,
    path = "/api/v1/roles",
    operation_id = "create_role",
    tag = "roles",
    security(("bearer" = [])),
    request_body = RoleInput,
    responses(
        (status = 200, description = "The stored role", body = Role),
        (status = 400, description = "Bad JSON or inactive user", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 422, description = "Wrong types, missing fields or values out of range", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Role>, ApiError> {
    let input: RoleInput = super::from_object(body)?;
    Ok(Json(
        roles::insert(state.db(), &principal.user.id, &input).await?,
    ))
}

/// The caller's roles, newest first, filtered by exact category, specialization and level.
#[utoipa::path(
    get,
    path = "/api/v1/roles",
    operation_id = "list_roles",
    tag = "roles",
    security(("bearer" = [])),
    params(RoleFilter),
    responses(
        (status = 200, description = "Matching roles", body = Vec<Role>),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 422, description = "Invalid query", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    filter: Result<Query<RoleFilter>, QueryRejection>,
) -> Result<Json<Vec<Role>>, ApiError> {
    let Query(filter) = filter.map_err(|e| ApiError::Unprocessable(e.body_text()))?;
    Ok(Json(
        roles::list(state.db(), &principal.user.id, &filter).await?,
    ))
}

/// One of the caller's roles.
#[utoipa::path(
    get,
    path = "/api/v1/roles/{id}",
    operation_id = "read_role",
    tag = "roles",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Role id")),
    responses(
        (status = 200, description = "The role", body = Role),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such role of the caller", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn read(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Role>, ApiError> {
    let id = path_id(id)?;
    roles::by_id(state.db(), &principal.user.id, &id)
        .await?
        .map(Json)
        .ok_or_else(roles::not_found)
}

/// Replaces one of the caller's roles.
#[utoipa::path(
    put,
    path = "/api/v1/roles/{id}",
    operation_id = "update_role",
    tag = "roles",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Role id")),
    request_body = RoleInput,
    responses(
        (status = 200, description = "The updated role", body = Role),
        (status = 400, description = "Bad JSON", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such role of the caller", body = crate::openapi::ErrorBody),
        (status = 422, description = "Wrong types, missing fields or values out of range", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn update(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Role>, ApiError> {
    let id = path_id(id)?;
    let input: RoleInput = super::from_object(body)?;
    Ok(Json(
        roles::replace(state.db(), &principal.user.id, &id, &input).await?,
    ))
}

/// Deletes one of the caller's roles.
#[utoipa::path(
    delete,
    path = "/api/v1/roles/{id}",
    operation_id = "delete_role",
    tag = "roles",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Role id")),
    responses(
        (status = 200, description = "Deleted", body = Message),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such role of the caller", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Message>, ApiError> {
    let id = path_id(id)?;
    roles::delete(state.db(), &principal.user.id, &id).await?;
    Ok(Json(Message {
        message: "Role deleted successfully",
    }))
}
