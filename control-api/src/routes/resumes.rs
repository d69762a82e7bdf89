//! `/resumes/*` and `/resume/parse`: upload a PDF resume (multipart, at most 10 MB), get it
//! parsed into seed 001's `ParsedResume`, and list, read, correct or delete one's resumes.
//! Callers authenticate with an access token or an API key ([`Principal`]) and are rate limited.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::json::Json;
use crate::principal::Principal;
use crate::resumes::pdf::{self, MAX_PDF_BYTES, PdfError};
use crate::resumes::store::{self, Resume};
use crate::resumes::{ParsedResume, sections};

/// The multipart form of an upload, for the document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only its schema is used; the body is read with multer.
pub struct UploadForm {
    /// The PDF, at most 10 MB.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Body of `PUT /resumes/{id}`: a new file name and/or a corrected parse.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeUpdate {
    #[schema(min_length = 1, max_length = 255)]
    pub filename: Option<String>,
    pub parsed: Option<ParsedResume>,
}

/// Pagination of `GET /resumes`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// How many resumes to skip (default 0).
    #[param(minimum = 0)]
    pub skip: Option<i64>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// A page of the caller's resumes, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResumePage {
    pub items: Vec<Resume>,
    pub total: i64,
    pub skip: i64,
    pub limit: i64,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resume/parse", post(parse))
        .route("/resumes/upload", post(upload))
        .route("/resumes", get(list))
        .route("/resumes/user", get(list_user))
        .route("/resumes/{id}", get(read).put(update).delete(remove))
        .route("/resumes/{id}/file", get(download))
}

/// Parses a PDF resume without storing it (seed 001).
#[utoipa::path(
    post,
    path = "/api/v1/resume/parse",
    operation_id = "parse_resume",
    tag = "resumes",
    security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The parsed resume", body = ParsedResume),
        (status = 400, description = "Not a PDF, empty, over 10 MB, or not multipart", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 413, description = "The account's resume storage quota would be exceeded", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
        (status = 422, description = "Encrypted, corrupt, truncated, or without a text layer", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn parse(
    _principal: Principal,
    request: Request,
) -> Result<Json<ParsedResume>, ApiError> {
    let upload = read_upload(request).await?;
    Ok(Json(parse_pdf(upload.bytes).await?.1))
}

/// Uploads a PDF resume; it is parsed and stored (seed 002).
#[utoipa::path(
    post,
    path = "/api/v1/resumes/upload",
    operation_id = "upload_resume",
    tag = "resumes",
    security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The stored resume", body = Resume),
        (status = 400, description = "Not a PDF, empty, over 10 MB, or not multipart", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 413, description = "The account's resume storage quota would be exceeded", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
        (status = 422, description = "Encrypted, corrupt, truncated, or without a text layer", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    request: Request,
) -> Result<(StatusCode, Json<Resume>), ApiError> {
    let upload = read_upload(request).await?;
    let (bytes, parsed) = parse_pdf(upload.bytes).await?;
    let resume = store::insert(
        state.db(),
        &principal.user.id,
        &upload.filename,
        &bytes,
        &parsed,
        state.config().resume_quota_bytes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(resume)))
}

/// The caller's resumes, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/resumes",
    operation_id = "list_resumes",
    tag = "resumes",
    security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of resumes", body = ResumePage),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
        (status = 422, description = "Invalid skip or limit", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ResumePage>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::Unprocessable(e.body_text()))?;
    let skip = params.skip.unwrap_or(0);
    let limit = params.limit.unwrap_or(20);
    if skip < 0 || !(1..=100).contains(&limit) {
        return Err(ApiError::Unprocessable(
            "skip must be >= 0 and limit 1 to 100".to_owned(),
        ));
    }
    let items = store::list(state.db(), &principal.user.id, skip, limit).await?;
    let total = store::count(state.db(), &principal.user.id).await?;
    Ok(Json(ResumePage {
        items,
        total,
        skip,
        limit,
    }))
}

/// The caller's resumes (seed 002's path for the list).
#[utoipa::path(
    get,
    path = "/api/v1/resumes/user",
    operation_id = "list_user_resumes",
    tag = "resumes",
    security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of resumes", body = ResumePage),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
        (status = 422, description = "Invalid skip or limit", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn list_user(
    state: State<AppState>,
    principal: Principal,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ResumePage>, ApiError> {
    list(state, principal, params).await
}

/// One of the caller's resumes.
#[utoipa::path(
    get,
    path = "/api/v1/resumes/{id}",
    operation_id = "read_resume",
    tag = "resumes",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Resume id")),
    responses(
        (status = 200, description = "The resume", body = Resume),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such resume of the caller", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn read(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Resume>, ApiError> {
    let id = path_id(id)?;
    store::get(state.db(), &principal.user.id, &id)
        .await?
        .map(Json)
        .ok_or_else(not_found)
}

/// Renames a resume and/or replaces its parsed structure (a correction by its owner).
#[utoipa::path(
    put,
    path = "/api/v1/resumes/{id}",
    operation_id = "update_resume",
    tag = "resumes",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Resume id")),
    request_body = ResumeUpdate,
    responses(
        (status = 200, description = "The updated resume", body = Resume),
        (status = 400, description = "Malformed JSON", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such resume of the caller", body = crate::openapi::ErrorBody),
        (status = 422, description = "Wrong types, unknown fields or over-long values", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn update(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Resume>, ApiError> {
    let id = path_id(id)?;
    let body: ResumeUpdate = super::from_object(body)?;
    if let Some(name) = &body.filename {
        check_filename(name)?;
    }
    if let Some(parsed) = &body.parsed {
        parsed.validate().map_err(ApiError::Unprocessable)?;
    }
    store::update(
        state.db(),
        &principal.user.id,
        &id,
        body.filename.as_deref(),
        body.parsed.as_ref(),
    )
    .await?
    .map(Json)
    .ok_or_else(not_found)
}

/// Deletes one of the caller's resumes.
#[utoipa::path(
    delete,
    path = "/api/v1/resumes/{id}",
    operation_id = "delete_resume",
    tag = "resumes",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Resume id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such resume of the caller", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(id)?;
    if store::delete(state.db(), &principal.user.id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}

/// The uploaded PDF itself.
#[utoipa::path(
    get,
    path = "/api/v1/resumes/{id}/file",
    operation_id = "download_resume",
    tag = "resumes",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Resume id")),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such resume of the caller", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn download(
    State(state): State<AppState>,
    principal: Principal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id)?;
    let (filename, bytes) = store::file(state.db(), &principal.user.id, &id)
        .await?
        .ok_or_else(not_found)?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        filename.replace(|c: char| !c.is_ascii_graphic() || c == '"', "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

fn not_found() -> ApiError {
    ApiError::NotFound("resume not found".to_owned())
}

fn path_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    super::path_param(id, not_found)
}

fn check_filename(name: &str) -> Result<(), ApiError> {
    let len = name.chars().count();
    if !(1..=255).contains(&len) || name.chars().any(char::is_control) {
        return Err(ApiError::Unprocessable(
            "filename must be 1 to 255 characters without control characters".to_owned(),
        ));
    }
    Ok(())
}

/// The `file` field of a multipart body.
struct Upload {
    filename: String,
    bytes: Vec<u8>,
}

/// Reads the `file` field, refusing bodies over 10 MB before buffering them.
async fn read_upload(request: Request) -> Result<Upload, ApiError> {
    let not_multipart =
        || ApiError::BadRequest("expected a multipart/form-data body with a `file` field".into());
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(not_multipart)?;
    let boundary = multer::parse_boundary(content_type).map_err(|_| not_multipart())?;
    let limits = multer::SizeLimit::new()
        .whole_stream((MAX_PDF_BYTES + 256 * 1024) as u64)
        .per_field((MAX_PDF_BYTES + 1) as u64);
    let mut multipart = multer::Multipart::with_constraints(
        request.into_body().into_data_stream(),
        boundary,
        multer::Constraints::new().size_limit(limits),
    );
    let mut upload = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") || upload.is_some() {
            while field.chunk().await.map_err(multipart_error)?.is_some() {}
            continue;
        }
        let filename = sanitize_filename(field.file_name());
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > MAX_PDF_BYTES {
                return Err(pdf_error(PdfError::TooLarge));
            }
            bytes.extend_from_slice(&chunk);
        }
        upload = Some(Upload { filename, bytes });
    }
    upload.ok_or_else(not_multipart)
}

fn multipart_error(err: multer::Error) -> ApiError {
    match err {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            pdf_error(PdfError::TooLarge)
        }
        other => ApiError::BadRequest(format!("malformed multipart body: {other}")),
    }
}

fn sanitize_filename(name: Option<&str>) -> String {
    let base = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    if clean.trim().is_empty() {
        "resume.pdf".to_owned()
    } else {
        clean
    }
}

/// Extracts and structures the text; hands the bytes back for storage.
async fn parse_pdf(bytes: Vec<u8>) -> Result<(Bytes, ParsedResume), ApiError> {
    let bytes = Bytes::from(bytes);
    let text = pdf::extract_text(bytes.clone()).await.map_err(pdf_error)?;
    let parsed = tokio::task::spawn_blocking(move || sections::parse(&text))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok((bytes, parsed))
}

fn pdf_error(err: PdfError) -> ApiError {
    match err {
        PdfError::Empty | PdfError::TooLarge | PdfError::NotPdf => {
            ApiError::BadRequest(err.to_string())
        }
        _ => ApiError::Unprocessable(err.to_string()),
    }
}
