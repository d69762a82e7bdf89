//! Delivery: how the candidate sounded, stored apart from what they said.
//!
//! The agent sends its one-second timeline in batches and one summary per agent session
//! (a re-dispatched interview has several sessions), in the wire contract's terms
//! ([`contract::delivery`]). Points are rows keyed by interview, session and second, so a
//! retried batch stores nothing twice. The report's coaching section combines the sessions'
//! summaries; no scorer ever reads any of it (the evaluation module takes the transcript and
//! the rubric only).

use contract::delivery::{AudioFeatures, DeliveryPoint, DeliverySummary, TimelineBatch};
use serde::Serialize;

use crate::db::Db;
use crate::error::ApiError;

/// Most timeline points one interview keeps: six hours at one per second.
pub const MAX_POINTS: i64 = 6 * 3600;
/// Most points in one batch.
pub const MAX_BATCH: usize = 300;
/// Most agent sessions one interview keeps delivery for.
pub const MAX_SESSIONS: i64 = 20;
/// Longest session id.
const MAX_SESSION_CHARS: usize = 100;
/// Largest second index within a session (a day).
const MAX_SECOND: u32 = 86_400;

/// One point of the interview's timeline, on one clock across sessions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// The agent session's number (from 1, in arrival order).
    pub session: i64,
    /// Seconds since the interview's first candidate audio, sessions laid end to end.
    pub time: f64,
    #[serde(flatten)]
    pub point: DeliveryPoint,
}

/// One agent session's part of the timeline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineSession {
    /// Its number, from 1.
    pub session: i64,
    /// The agent's id for it (the LiveKit job id).
    pub id: String,
    /// Points stored.
    pub points: i64,
    /// Its end-of-session summary, null until the agent sends one.
    pub summary: Option<DeliverySummary>,
}

/// `GET /interviews/{id}/timeline`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Timeline {
    pub interview_id: String,
    pub sessions: Vec<TimelineSession>,
    pub points: Vec<TimelineEntry>,
    /// The sessions' summaries combined, null before any.
    pub coaching: Option<Coaching>,
}

/// Volume of the candidate's speech.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Volume {
    pub speech_dbfs: Option<f32>,
    pub noise_floor_dbfs: Option<f32>,
    pub snr_db: Option<f32>,
    pub clipping_ratio: f32,
}

/// The report's coaching section: delivery only, never an input to a score.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Coaching {
    /// Seed 004's `audio_features`.
    pub audio_features: AudioFeatures,
    /// `transcript` when any session's rate came from the speech recognizer's words,
    /// else `audio`.
    pub speech_rate_source: String,
    /// Words per minute estimated from syllables alone.
    pub audio_speech_rate: Option<f64>,
    pub pitch_mean_hz: Option<f64>,
    pub volume: Volume,
    /// Candidate speech over all speech.
    pub talk_ratio: Option<f64>,
    /// Times the candidate cut the agent off.
    pub interruptions: u32,
    /// Nudges shown during the interview.
    pub nudges: u32,
    pub words: u32,
    pub fillers: u32,
    pub speech_seconds: f64,
    pub agent_seconds: f64,
    pub total_seconds: f64,
    /// Agent sessions combined.
    pub sessions: usize,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable(message.into())
}

fn check_session(v: u32, session: &str) -> Result<(), ApiError> {
    if !contract::readable(v) {
        return Err(invalid(format!(
            "contract version {v} is not supported (1 to {})",
            contract::VERSION
        )));
    }
    if session.trim().is_empty() || session.chars().count() > MAX_SESSION_CHARS {
        return Err(invalid(format!(
            "session must be 1 to {MAX_SESSION_CHARS} characters"
        )));
    }
    Ok(())
}

fn finite(values: &[Option<f32>]) -> bool {
    values.iter().flatten().all(|v| v.is_finite())
}

fn check_point(p: &DeliveryPoint) -> Result<(), ApiError> {
    let ratios_ok =
        (0.0..=1.0).contains(&p.clipping_ratio) && (0.0..=1.0).contains(&p.speech_ratio);
    let values = [
        Some(p.level_dbfs),
        p.speech_dbfs,
        Some(p.peak_dbfs),
        p.f0_hz,
        p.syllables_per_second,
        p.noise_floor_dbfs,
    ];
    if p.second > MAX_SECOND || !ratios_ok || !finite(&values) {
        return Err(invalid(format!(
            "point {}: seconds up to {MAX_SECOND}, ratios 0 to 1, finite measures",
            p.second
        )));
    }
    Ok(())
}

/// Finds or numbers session `session` of interview `id` inside `tx`.
async fn session_row(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    session: &str,
) -> Result<(), ApiError> {
    let known =
        sqlx::query("SELECT seq FROM delivery_sessions WHERE interview_id = $1 AND session = $2")
            .bind(id)
            .bind(session)
            .fetch_optional(&mut **tx)
            .await?;
    if known.is_some() {
        return Ok(());
    }
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) AS n FROM delivery_sessions WHERE interview_id = $1")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
    if n >= MAX_SESSIONS {
        return Err(ApiError::BadRequest(format!(
            "the interview already has delivery from {MAX_SESSIONS} sessions"
        )));
    }
    let now = crate::time::now_rfc3339();
    sqlx::query(
        "INSERT INTO delivery_sessions (interview_id, session, seq, summary, created_at, updated_at) \
         VALUES ($1, $2, $3, NULL, $4, $4) ON CONFLICT (interview_id, session) DO NOTHING",
    )
    .bind(id)
    .bind(session)
    .bind(n + 1)
    .bind(&now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Locks interview `id`'s row for the transaction (so concurrent batches count and number
/// consistently on both backends); 404 when there is no such interview.
async fn lock_interview(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
) -> Result<(), ApiError> {
    let now = crate::time::now_rfc3339();
    let touched = sqlx::query("UPDATE interviews SET updated_at = $1 WHERE id = $2")
        .bind(&now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if touched.rows_affected() == 0 {
        return Err(crate::interviews::not_found());
    }
    Ok(())
}

/// Stores a batch of points (the caller has authenticated the agent); returns how many
/// points the interview holds. Points already stored for their session and second are
/// kept as they were. 422 for a malformed batch, 400 when the timeline is full.
pub async fn append(db: &Db, id: &str, batch: &TimelineBatch) -> Result<i64, ApiError> {
    check_session(batch.v, &batch.session)?;
    if batch.points.len() > MAX_BATCH {
        return Err(invalid(format!("a batch holds at most {MAX_BATCH} points")));
    }
    for p in &batch.points {
        check_point(p)?;
    }
    let mut tx = db.begin_write().await?;
    lock_interview(&mut tx, id).await?;
    session_row(&mut tx, id, &batch.session).await?;
    let held: i64 =
        sqlx::query_scalar("SELECT COUNT(*) AS n FROM delivery_points WHERE interview_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if held + batch.points.len() as i64 > MAX_POINTS {
        return Err(ApiError::BadRequest(format!(
            "the interview's timeline is full ({MAX_POINTS} points)"
        )));
    }
    let mut added = 0;
    for p in &batch.points {
        let json = serde_json::to_string(p).map_err(|e| ApiError::Internal(e.into()))?;
        let done = sqlx::query(
            "INSERT INTO delivery_points (interview_id, session, second, point) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (interview_id, session, second) DO NOTHING",
        )
        .bind(id)
        .bind(&batch.session)
        .bind(i64::from(p.second))
        .bind(json)
        .execute(&mut *tx)
        .await?;
        added += done.rows_affected() as i64;
    }
    tx.commit().await?;
    Ok(held + added)
}

/// Stores (or replaces) one session's summary.
pub async fn set_summary(db: &Db, id: &str, summary: &DeliverySummary) -> Result<(), ApiError> {
    check_session(summary.v, &summary.session)?;
    let f = &summary.audio_features;
    let measures = [
        f.speech_rate,
        Some(f.pause_ratio),
        f.filler_word_ratio,
        f.pitch_variance,
        summary.audio_speech_rate,
        summary.pitch_mean_hz,
        Some(summary.speech_seconds),
        Some(summary.total_seconds),
        Some(summary.agent_seconds),
        summary.talk_ratio,
    ];
    let levels = [
        summary.speech_dbfs,
        summary.noise_floor_dbfs,
        summary.snr_db,
        Some(summary.clipping_ratio),
    ];
    let non_negative = measures
        .iter()
        .flatten()
        .all(|v| v.is_finite() && *v >= 0.0);
    if !non_negative || !finite(&levels) || summary.fillers > summary.words {
        return Err(invalid(
            "summary measures must be finite and not negative, fillers at most the words",
        ));
    }
    let json = serde_json::to_string(summary).map_err(|e| ApiError::Internal(e.into()))?;
    let mut tx = db.begin_write().await?;
    lock_interview(&mut tx, id).await?;
    session_row(&mut tx, id, &summary.session).await?;
    sqlx::query(
        "UPDATE delivery_sessions SET summary = $1, updated_at = $2 WHERE interview_id = $3 AND session = $4",
    )
    .bind(json)
    .bind(crate::time::now_rfc3339())
    .bind(id)
    .bind(&summary.session)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The timeline of interview `id` (the caller has checked ownership).
pub async fn timeline(db: &Db, id: &str) -> Result<Timeline, ApiError> {
    // A summary that does not parse reads as none, a point that does not parse is skipped.
    let rows: Vec<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT session, seq, summary FROM delivery_sessions WHERE interview_id = $1 ORDER BY seq, created_at",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let mut sessions: Vec<TimelineSession> = rows
        .into_iter()
        .map(|(session, seq, summary)| TimelineSession {
            session: seq,
            id: session,
            points: 0,
            summary: summary.and_then(|s| serde_json::from_str(&s).ok()),
        })
        .collect();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT session, point FROM delivery_points WHERE interview_id = $1 ORDER BY session, second",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let mut by_session: Vec<Vec<DeliveryPoint>> = vec![Vec::new(); sessions.len()];
    for (session, point) in &rows {
        let Some(i) = sessions.iter().position(|s| s.id == *session) else {
            continue;
        };
        if let Ok(p) = serde_json::from_str::<DeliveryPoint>(point) {
            by_session[i].push(p);
        }
    }
    let mut points = Vec::with_capacity(rows.len());
    let mut offset = 0.0;
    for (session, list) in sessions.iter_mut().zip(by_session) {
        session.points = list.len() as i64;
        let length = list.last().map_or(0.0, |p| f64::from(p.second) + 1.0);
        for point in list {
            points.push(TimelineEntry {
                session: session.session,
                time: offset + f64::from(point.second),
                point,
            });
        }
        offset += length;
    }
    let summaries: Vec<DeliverySummary> =
        sessions.iter().filter_map(|s| s.summary.clone()).collect();
    Ok(Timeline {
        interview_id: id.to_owned(),
        coaching: combine(&summaries),
        sessions,
        points,
    })
}

/// The report's coaching section for interview `id`, null before any summary.
pub async fn coaching(db: &Db, id: &str) -> Result<Option<Coaching>, ApiError> {
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT summary FROM delivery_sessions WHERE interview_id = $1 AND summary IS NOT NULL ORDER BY seq",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    // A summary that does not parse is skipped.
    let summaries: Vec<DeliverySummary> = texts
        .iter()
        .filter_map(|text| serde_json::from_str(text).ok())
        .collect();
    Ok(combine(&summaries))
}

/// Mean of `value` over `items` weighted by `weight`, over the items that have a value.
fn weighted<T>(
    items: &[T],
    value: impl Fn(&T) -> Option<f64>,
    weight: impl Fn(&T) -> f64,
) -> Option<f64> {
    let (sum, total) = items
        .iter()
        .filter_map(|i| value(i).map(|v| (v, weight(i).max(0.0))))
        .fold((0.0, 0.0), |(s, t), (v, w)| (s + v * w, t + w));
    (total > 0.0).then(|| round(sum / total))
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The sessions' summaries as one: sums of counts and durations, rates and levels weighted
/// by speech time, the pause ratio by analysed time, fillers over all words. One summary
/// comes out as it went in.
pub fn combine(summaries: &[DeliverySummary]) -> Option<Coaching> {
    if summaries.is_empty() {
        return None;
    }
    let speech = |s: &DeliverySummary| s.speech_seconds;
    let total = |s: &DeliverySummary| s.total_seconds;
    let f32_weighted = |value: fn(&DeliverySummary) -> Option<f32>| {
        weighted(summaries, |s| value(s).map(f64::from), speech).map(|v| v as f32)
    };
    let speech_seconds: f64 = summaries.iter().map(speech).sum();
    let agent_seconds: f64 = summaries.iter().map(|s| s.agent_seconds).sum();
    let words: u32 = summaries.iter().map(|s| s.words).sum();
    let fillers: u32 = summaries.iter().map(|s| s.fillers).sum();
    let heard = speech_seconds + agent_seconds;
    let any_filler_ratio = summaries
        .iter()
        .any(|s| s.audio_features.filler_word_ratio.is_some());
    Some(Coaching {
        audio_features: AudioFeatures {
            speech_rate: weighted(summaries, |s| s.audio_features.speech_rate, speech),
            pause_ratio: weighted(summaries, |s| Some(s.audio_features.pause_ratio), total)
                .unwrap_or(0.0),
            filler_word_ratio: (any_filler_ratio && words > 0)
                .then(|| round(f64::from(fillers) / f64::from(words))),
            pitch_variance: weighted(summaries, |s| s.audio_features.pitch_variance, speech),
        },
        speech_rate_source: if summaries
            .iter()
            .any(|s| s.speech_rate_source == "transcript")
        {
            "transcript".to_owned()
        } else {
            "audio".to_owned()
        },
        audio_speech_rate: weighted(summaries, |s| s.audio_speech_rate, speech),
        pitch_mean_hz: weighted(summaries, |s| s.pitch_mean_hz, speech),
        volume: Volume {
            speech_dbfs: f32_weighted(|s| s.speech_dbfs),
            noise_floor_dbfs: f32_weighted(|s| s.noise_floor_dbfs),
            snr_db: f32_weighted(|s| s.snr_db),
            clipping_ratio: weighted(summaries, |s| Some(f64::from(s.clipping_ratio)), total)
                .unwrap_or(0.0) as f32,
        },
        talk_ratio: (heard > 0.0).then(|| round(speech_seconds / heard)),
        interruptions: summaries.iter().map(|s| s.interruptions).sum(),
        nudges: summaries.iter().map(|s| s.nudges).sum(),
        words,
        fillers,
        speech_seconds: round(speech_seconds),
        agent_seconds: round(agent_seconds),
        total_seconds: round(summaries.iter().map(total).sum()),
        sessions: summaries.len(),
    })
}
