//! Evaluation: the report every completed interview gets, produced here in control-api (the
//! only process that holds the transcript, the frozen rubric and the database).
//!
//! When an interview completes, [`enqueue`] stores a `pending` evaluation and a background
//! task scores the stored transcript against the interview's frozen rubric
//! ([`rubric::FrozenRubric`]); completion never waits for it. The task retries (three attempts
//! with a growing pause) and ends `ready` or `failed` with a reason. Every evidence quote is
//! checked against the stored transcript ([`verify_evidence`]): a quote that does not occur
//! verbatim in the turn it names is dropped and its dimension marked low-confidence. A reviewer
//! may override a dimension's score with a reason; the original stays, and each override is
//! kept in an audit trail (who, when, from, to, why).
//!
//! The scorer receives the transcript's turns and the rubric, nothing else: delivery measures
//! (speech rate, pauses, fillers, pitch, volume) are not among its inputs, by construction.
//! The scorer is the [`llm`] one when `EVALUATION_LLM_BASE_URL` names an OpenAI-compatible
//! server, else the offline [`heuristic`] one; every report records its kind, model and
//! prompt version and the rubric's version.

pub mod heuristic;
pub mod llm;
pub mod rubric;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::db::{Db, JsonText};
use crate::error::ApiError;
use crate::transcript::TranscriptTurn;
use rubric::FrozenRubric;

/// A quote from the candidate, with the turn it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    /// The transcript turn (its number, from 1).
    pub turn: i64,
    /// Verbatim text of that turn.
    pub quote: String,
}

impl Evidence {
    /// A quote of at most 300 characters, cut at a word boundary so it stays verbatim.
    fn new(turn: i64, text: &str) -> Self {
        let quote = if text.chars().count() <= 300 {
            text.to_owned()
        } else {
            let cut: String = text.chars().take(300).collect();
            cut.rsplit_once(' ')
                .map_or(cut.clone(), |(head, _)| head.to_owned())
        };
        Self { turn, quote }
    }
}

/// One rubric dimension's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DimensionScore {
    pub name: String,
    pub weight: f64,
    /// 1 to 5 on the dimension's anchored scale (after any reviewer override).
    pub score: u8,
    /// What this score means on the dimension's scale.
    pub anchor: String,
    pub rationale: String,
    /// One to three quotes, each found verbatim in the turn it names.
    pub evidence: Vec<Evidence>,
    /// No verified evidence backs this score.
    pub low_confidence: bool,
    /// The scorer's score when a reviewer overrode it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_score: Option<u8>,
}

/// How the candidate did on one of the role's required skills.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SkillScore {
    pub skill: String,
    /// Whether the interview touched the skill at all.
    pub probed: bool,
    /// Candidate sentences that mention it.
    pub mentions: usize,
    /// 1 to 5, null when the candidate never spoke to it.
    pub score: Option<u8>,
    pub evidence: Vec<Evidence>,
}

/// The overall call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    StrongHire,
    Hire,
    LeanNoHire,
    NoHire,
}

impl Recommendation {
    fn from_score(weighted: f64) -> Self {
        if weighted >= 4.0 {
            Self::StrongHire
        } else if weighted >= 3.3 {
            Self::Hire
        } else if weighted >= 2.5 {
            Self::LeanNoHire
        } else {
            Self::NoHire
        }
    }
}

/// What a scorer produces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    pub dimensions: Vec<DimensionScore>,
    pub skills: Vec<SkillScore>,
    pub strengths: Vec<String>,
    pub concerns: Vec<String>,
    /// Questions a human interviewer should follow up.
    pub follow_up_questions: Vec<String>,
    /// Weighted mean of the dimension scores, 1 to 5.
    pub overall_score: f64,
    pub recommendation: Recommendation,
    /// 0 to 1: how much verified evidence stands behind the scores.
    pub confidence: f64,
}

/// The weight-averaged score of `dimensions` on the 1-5 scale.
pub(crate) fn weighted_score(dimensions: &[DimensionScore]) -> f64 {
    let weight: f64 = dimensions
        .iter()
        .map(|d| d.weight)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    dimensions
        .iter()
        .map(|d| f64::from(d.score) * d.weight)
        .sum::<f64>()
        / weight
}

/// Drops every quote that does not occur verbatim in the candidate turn it names and marks
/// dimensions left without evidence low-confidence. Returns how many quotes were dropped.
pub fn verify_evidence(report: &mut Report, turns: &[TranscriptTurn]) -> usize {
    let occurs = |e: &Evidence| {
        !e.quote.trim().is_empty()
            && turns.iter().any(|t| {
                t.turn == e.turn
                    && t.role == "candidate"
                    && (t.text.contains(&e.quote)
                        || t.code.as_deref().is_some_and(|c| c.contains(&e.quote)))
            })
    };
    let mut dropped = 0;
    for d in &mut report.dimensions {
        let before = d.evidence.len();
        d.evidence.retain(occurs);
        d.evidence.truncate(3);
        dropped += before - d.evidence.len().min(before);
        if d.evidence.is_empty() {
            d.low_confidence = true;
        }
    }
    for s in &mut report.skills {
        let before = s.evidence.len();
        s.evidence.retain(occurs);
        dropped += before - s.evidence.len();
    }
    dropped
}

/// An evaluation as stored and served: read from an `evaluations` row, to which [`get`] adds
/// the overrides and applies them to the report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Evaluation {
    /// `pending`, `ready` or `failed`.
    pub status: String,
    /// Why it failed, when it did.
    pub reason: Option<String>,
    /// `llm`, or `heuristic` (offline, deterministic).
    pub scorer: String,
    /// The model that scored, null for the heuristic scorer.
    pub model: Option<String>,
    pub prompt_version: String,
    pub rubric_version: String,
    pub attempts: i64,
    /// JSON text in the row; NULL when there is no report.
    #[sqlx(try_from = "JsonText<Option<Report>>")]
    pub report: Option<Report>,
    /// Reviewer overrides, oldest first (not a column: [`get`] reads them).
    #[sqlx(skip)]
    pub overrides: Vec<Override>,
    pub created_at: String,
    pub updated_at: String,
}

/// One reviewer override of a dimension's score; read from an `evaluation_overrides` row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Override {
    pub dimension: String,
    pub from_score: i64,
    pub to_score: i64,
    pub reason: String,
    /// The reviewer's user id.
    pub reviewer_id: String,
    pub at: String,
}

/// Body of `POST /interviews/{id}/report/overrides`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    /// A dimension of the interview's rubric.
    #[schema(min_length = 1, max_length = 100)]
    pub dimension: String,
    /// 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub score: u8,
    /// Why, 1 to 2000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// The interview's frozen rubric; freezes the role's current one first if none is.
pub async fn freeze_rubric(db: &Db, owner: &str, id: &str) -> Result<FrozenRubric, ApiError> {
    let (role_id, rubric): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT role_id, rubric FROM interviews WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(owner)
            .fetch_optional(db.pool())
            .await?
            .ok_or_else(crate::interviews::not_found)?;
    if let Some(text) = rubric {
        return serde_json::from_str(&text).map_err(|e| ApiError::Internal(e.into()));
    }
    let role = match role_id {
        Some(role_id) => crate::roles::by_id(db, owner, &role_id).await?,
        None => None,
    };
    let rubric = FrozenRubric::of(role.as_ref());
    let text = serde_json::to_string(&rubric).map_err(|e| ApiError::Internal(e.into()))?;
    // Only the first freeze sticks; a concurrent one reads what won.
    sqlx::query("UPDATE interviews SET rubric = $1 WHERE id = $2 AND rubric IS NULL")
        .bind(text)
        .bind(id)
        .execute(db.pool())
        .await?;
    let text: String = sqlx::query_scalar("SELECT rubric FROM interviews WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    serde_json::from_str(&text).map_err(|e| ApiError::Internal(e.into()))
}

/// Attempts a background evaluation makes before it is marked failed.
pub const ATTEMPTS: i64 = 3;

/// Which scorer an evaluation uses.
#[derive(Debug, Clone)]
enum Scorer {
    Heuristic,
    Llm(llm::LlmConfig),
}

impl Scorer {
    fn of(config: &crate::Config) -> Self {
        if config.evaluation_llm_base_url.is_empty() {
            Self::Heuristic
        } else {
            Self::Llm(llm::LlmConfig {
                base_url: config.evaluation_llm_base_url.clone(),
                api_key: config.evaluation_llm_api_key.clone(),
                model: config.evaluation_llm_model.clone(),
                timeout: Duration::from_secs(config.evaluation_llm_timeout_secs.max(1)),
            })
        }
    }

    /// Kind, model and prompt version, as stored.
    fn labels(&self) -> (&'static str, Option<&str>, &'static str) {
        match self {
            Self::Heuristic => ("heuristic", None, heuristic::VERSION),
            Self::Llm(c) => ("llm", Some(c.model.as_str()), llm::PROMPT_VERSION),
        }
    }

    async fn score(
        &self,
        rubric: &FrozenRubric,
        turns: &[TranscriptTurn],
    ) -> anyhow::Result<Report> {
        match self {
            Self::Heuristic => Ok(heuristic::score(rubric, turns)),
            Self::Llm(config) => llm::score(config, rubric, turns).await,
        }
    }
}

/// Stores a pending evaluation of the completed interview `id` (once) and starts scoring it
/// in the background.
pub async fn enqueue(state: &AppState, owner: &str, id: &str) -> Result<(), ApiError> {
    let rubric = freeze_rubric(state.db(), owner, id).await?;
    let scorer = Scorer::of(state.config());
    let (kind, model, prompt_version) = scorer.labels();
    let now = crate::time::now_rfc3339();
    let inserted = sqlx::query(
        "INSERT INTO evaluations (interview_id, status, scorer, model, prompt_version, rubric_version, \
         attempts, created_at, updated_at) VALUES ($1, 'pending', $2, $3, $4, $5, 0, $6, $6) \
         ON CONFLICT (interview_id) DO NOTHING",
    )
    .bind(id)
    .bind(kind)
    .bind(model)
    .bind(prompt_version)
    .bind(&rubric.version)
    .bind(&now)
    .execute(state.db().pool())
    .await?;
    if inserted.rows_affected() == 1 {
        let state = state.clone();
        let id = id.to_owned();
        tokio::spawn(async move {
            run(state.db(), &id, rubric, scorer).await;
            state.evaluations_finished().send_modify(|n| *n += 1);
        });
    }
    Ok(())
}

/// Scores until ready or out of attempts.
async fn run(db: &Db, id: &str, rubric: FrozenRubric, scorer: Scorer) {
    for attempt in 1..=ATTEMPTS {
        let outcome = attempt_once(db, id, &rubric, &scorer, attempt).await;
        match outcome {
            Ok(()) => return,
            Err(err) if attempt == ATTEMPTS => {
                tracing::warn!(interview = id, error = %err, "evaluation failed");
                let _ = finish(db, id, "failed", Some(&err.to_string()), None, attempt).await;
                return;
            }
            Err(err) => {
                tracing::warn!(interview = id, attempt, error = %err, "evaluation attempt failed; retrying");
                tokio::time::sleep(Duration::from_millis(500 * attempt as u64)).await;
            }
        }
    }
}

async fn attempt_once(
    db: &Db,
    id: &str,
    rubric: &FrozenRubric,
    scorer: &Scorer,
    attempt: i64,
) -> Result<(), ApiError> {
    let turns = crate::transcript::list(db, id).await?;
    let mut report = scorer
        .score(rubric, &turns)
        .await
        .map_err(ApiError::Internal)?;
    let dropped = verify_evidence(&mut report, &turns);
    if dropped > 0 {
        tracing::warn!(
            interview = id,
            dropped,
            "evidence quotes not found verbatim were dropped"
        );
    }
    finish(db, id, "ready", None, Some(&report), attempt).await?;
    // Seed 002's scores on the interview itself, 0 to 100, unless a person set them already.
    let (technical, behavioral) = seed_scores(&report, rubric);
    sqlx::query(
        "UPDATE interviews SET technical_score = COALESCE(technical_score, $1), \
         behavioral_score = COALESCE(behavioral_score, $2) WHERE id = $3",
    )
    .bind(technical)
    .bind(behavioral)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

async fn finish(
    db: &Db,
    id: &str,
    status: &str,
    reason: Option<&str>,
    report: Option<&Report>,
    attempts: i64,
) -> Result<(), ApiError> {
    let body = report
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| ApiError::Internal(e.into()))?;
    sqlx::query(
        "UPDATE evaluations SET status = $1, reason = $2, report = $3, attempts = $4, updated_at = $5 \
         WHERE interview_id = $6",
    )
    .bind(status)
    .bind(reason)
    .bind(body)
    .bind(attempts)
    .bind(crate::time::now_rfc3339())
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

fn mean_of(report: &Report, rubric: &FrozenRubric, foci: &[rubric::Focus]) -> Option<f64> {
    let scores: Vec<f64> = report
        .dimensions
        .iter()
        .zip(&rubric.dimensions)
        .filter(|(_, d)| foci.contains(&d.focus))
        .map(|(s, _)| f64::from(s.score))
        .collect();
    (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
}

/// Seed 002's `technical_score` and `behavioral_score`, 0 to 100.
fn seed_scores(report: &Report, rubric: &FrozenRubric) -> (Option<i64>, Option<i64>) {
    use rubric::Focus::*;
    let to100 = |m: f64| ((m - 1.0) / 4.0 * 100.0).round() as i64;
    (
        mean_of(
            report,
            rubric,
            &[Technical, ProblemSolving, CodeQuality, General],
        )
        .map(to100),
        mean_of(report, rubric, &[Communication, Collaboration]).map(to100),
    )
}

/// Seed 000's `feedback`: scores from 0 to 1 and a per-skill breakdown; null until ready.
pub fn seed_feedback(evaluation: &Evaluation, rubric: &FrozenRubric) -> serde_json::Value {
    use rubric::Focus::*;
    let Some(report) = evaluation
        .report
        .as_ref()
        .filter(|_| evaluation.status == "ready")
    else {
        return serde_json::Value::Null;
    };
    let unit = |m: Option<f64>| m.map(|m| ((m - 1.0) / 4.0 * 100.0).round() / 100.0);
    let breakdown: serde_json::Map<String, serde_json::Value> = report
        .skills
        .iter()
        .map(|s| {
            (
                s.skill.clone(),
                serde_json::json!(unit(s.score.map(f64::from))),
            )
        })
        .collect();
    serde_json::json!({
        "overall_score": unit(Some(report.overall_score)),
        "communication_score": unit(mean_of(report, rubric, &[Communication])),
        "technical_score": unit(mean_of(report, rubric, &[Technical, General])),
        "problem_solving_score": unit(mean_of(report, rubric, &[ProblemSolving])),
        "code_quality_score": unit(mean_of(report, rubric, &[CodeQuality])),
        "skill_breakdown": breakdown,
        "recommendation": report.recommendation,
        "scorer": evaluation.scorer,
    })
}

/// The evaluation of interview `id` (the caller has checked ownership), if one was started.
pub async fn get(db: &Db, id: &str) -> Result<Option<Evaluation>, ApiError> {
    let Some(mut evaluation) = sqlx::query_as::<_, Evaluation>(
        "SELECT status, reason, scorer, model, prompt_version, rubric_version, attempts, report, \
         created_at, updated_at FROM evaluations WHERE interview_id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    evaluation.overrides = overrides(db, id).await?;
    if let Some(report) = evaluation.report.as_mut() {
        for o in &evaluation.overrides {
            if let Some(d) = report.dimensions.iter_mut().find(|d| d.name == o.dimension) {
                d.original_score.get_or_insert(d.score);
                d.score = u8::try_from(o.to_score).unwrap_or(d.score);
            }
        }
    }
    Ok(Some(evaluation))
}

async fn overrides(db: &Db, id: &str) -> Result<Vec<Override>, ApiError> {
    let overrides = sqlx::query_as(
        "SELECT dimension, from_score, to_score, reason, reviewer_id, at FROM evaluation_overrides \
         WHERE interview_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(overrides)
}

/// Records a reviewer's override of one dimension of a ready evaluation; 409 before it is
/// ready, 422 for a dimension the rubric does not have.
pub async fn add_override(
    db: &Db,
    id: &str,
    reviewer: &str,
    request: &OverrideRequest,
) -> Result<Evaluation, ApiError> {
    if !(1..=5).contains(&request.score) {
        return Err(ApiError::Unprocessable("score must be 1 to 5".to_owned()));
    }
    let reason_len = request.reason.trim().chars().count();
    if reason_len == 0 || request.reason.chars().count() > 2000 {
        return Err(ApiError::Unprocessable(
            "reason must be 1 to 2000 characters".to_owned(),
        ));
    }
    let evaluation = get(db, id)
        .await?
        .filter(|e| e.status == "ready")
        .ok_or_else(|| ApiError::Conflict("the report is not ready yet".to_owned()))?;
    let current = evaluation
        .report
        .as_ref()
        .and_then(|r| r.dimensions.iter().find(|d| d.name == request.dimension))
        .map(|d| d.score)
        .ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "the rubric has no dimension {:?}",
                request.dimension
            ))
        })?;
    let mut tx = db.begin_write().await?;
    let seq: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) AS n FROM evaluation_overrides WHERE interview_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO evaluation_overrides (interview_id, seq, dimension, from_score, to_score, reason, \
         reviewer_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(seq + 1)
    .bind(&request.dimension)
    .bind(i64::from(current))
    .bind(i64::from(request.score))
    .bind(request.reason.trim())
    .bind(reviewer)
    .bind(crate::time::now_rfc3339())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    get(db, id).await?.ok_or_else(crate::interviews::not_found)
}
