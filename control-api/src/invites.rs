//! Candidate invite links: `interview_invites`, one row per link, bound to one interview.
//!
//! **Invariant:** the link's token is shown once, when the link is made; only its SHA-256
//! hex is stored and a request finds its invite by that hash. A link stops working when it
//! expires or when its interview has ended, and says which ([`Lookup`]).

use serde::Serialize;

use crate::api_keys::hash_secret;
use crate::db::{Db, UnixSeconds};
use crate::error::{ApiError, internal};

/// Longest validity a recruiter may give a link: 30 days.
pub const MAX_VALIDITY_SECS: u64 = 30 * 24 * 3600;
/// Validity when none is asked for: 3 days.
pub const DEFAULT_VALIDITY_SECS: u64 = 3 * 24 * 3600;

/// The version of the disclosure text the candidate consents to. Change it whenever
/// [`disclosure`] changes: consent given to an older text is asked for again.
pub const DISCLOSURE_VERSION: &str = "2026-12-06";

/// What the candidate reads before consenting, in the interview's language (paragraphs
/// separated by blank lines).
pub fn disclosure(language: &str) -> &'static str {
    match language {
        "es" => {
            "Te entrevistará un entrevistador de IA, no una persona. Habla contigo por voz y \
             te hará preguntas sobre el puesto y tu experiencia.\n\n\
             La conversación se graba como texto: tus respuestas se transcriben y se guardan \
             con la entrevista. Tu audio se analiza en directo (volumen, ritmo, pausas) para \
             mostrarte consejos discretos en pantalla; el audio en sí no se guarda.\n\n\
             Al terminar se genera un informe con puntuaciones basadas en citas de tus \
             respuestas. Lo lee el equipo de selección que te invitó, que puede revisarlo y \
             corregirlo; el informe no decide por sí solo.\n\n\
             Puedes salir cuando quieras con el botón Salir."
        }
        _ => {
            "You will be interviewed by an AI interviewer, not a person. It talks with you by \
             voice and asks about the role and your experience.\n\n\
             The conversation is kept as text: your answers are transcribed and stored with \
             the interview. Your audio is analysed live (level, pace, pauses) to show you \
             gentle tips on screen; the audio itself is not stored.\n\n\
             When the interview ends a report is written with scores backed by quotes from \
             your answers. The hiring team that invited you reads it and can review and \
             correct it; the report decides nothing on its own.\n\n\
             You can leave at any time with the Leave button."
        }
    }
}

/// A link as stored; read from an `interview_invites` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invite {
    pub id: String,
    pub interview_id: String,
    /// Unix seconds.
    #[sqlx(try_from = "UnixSeconds")]
    pub expires_at: u64,
    pub created_at: String,
    pub consent_at: Option<String>,
    pub consent_version: Option<String>,
}

/// A link just made: the only time its token is seen.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedInvite {
    pub id: String,
    pub interview_id: String,
    /// The credential in the link; shown once.
    pub token: String,
    /// `/i/{token}`: the candidate's page on this service.
    pub path: String,
    /// The page's full address (`PUBLIC_URL` + path).
    pub url: String,
    /// RFC 3339.
    pub expires_at: String,
    /// RFC 3339.
    pub created_at: String,
}

/// What a token leads to.
pub enum Lookup {
    /// A live link.
    Valid(Invite),
    /// No such link (or not a token at all).
    Unknown,
    /// The link's time is up.
    Expired,
}

/// Whether `token` has the shape of a link token (64 lowercase hex digits), so that
/// anything else is refused before it reaches the database.
fn well_formed(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Makes a link to interview `interview_id`, valid for `validity_secs`.
pub async fn create(
    db: &Db,
    interview_id: &str,
    validity_secs: u64,
    public_url: &str,
) -> Result<CreatedInvite, ApiError> {
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let id = uuid::Uuid::new_v4().to_string();
    let now = crate::time::unix_now();
    let expires_at = now + validity_secs;
    let created_at = crate::time::rfc3339(now);
    sqlx::query(
        "INSERT INTO interview_invites (id, interview_id, token_hash, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(interview_id)
    .bind(hash_secret(&token))
    .bind(i64::try_from(expires_at).unwrap_or(i64::MAX))
    .bind(&created_at)
    .execute(db.pool())
    .await?;
    let path = format!("/i/{token}");
    Ok(CreatedInvite {
        id,
        interview_id: interview_id.to_owned(),
        url: format!("{}{path}", public_url.trim_end_matches('/')),
        path,
        token,
        expires_at: crate::time::rfc3339(expires_at),
        created_at,
    })
}

/// Finds the link of `token` and marks its first opening.
pub async fn find(db: &Db, token: &str) -> Result<Lookup, ApiError> {
    if !well_formed(token) {
        return Ok(Lookup::Unknown);
    }
    let invite: Option<Invite> = sqlx::query_as(
        "SELECT id, interview_id, expires_at, created_at, consent_at, consent_version \
         FROM interview_invites WHERE token_hash = $1",
    )
    .bind(hash_secret(token))
    .fetch_optional(db.pool())
    .await?;
    let Some(invite) = invite else {
        return Ok(Lookup::Unknown);
    };
    if invite.expires_at <= crate::time::unix_now() {
        return Ok(Lookup::Expired);
    }
    sqlx::query("UPDATE interview_invites SET opened_at = COALESCE(opened_at, $1) WHERE id = $2")
        .bind(crate::time::now_rfc3339())
        .bind(&invite.id)
        .execute(db.pool())
        .await?;
    Ok(Lookup::Valid(invite))
}

/// Records the candidate's consent to disclosure `version`; returns its time.
pub async fn consent(db: &Db, invite: &str, version: &str) -> Result<String, ApiError> {
    let now = crate::time::now_rfc3339();
    sqlx::query("UPDATE interview_invites SET consent_at = $1, consent_version = $2 WHERE id = $3")
        .bind(&now)
        .bind(version)
        .bind(invite)
        .execute(db.pool())
        .await?;
    Ok(now)
}

/// Counts a join through the link.
pub async fn joined(db: &Db, invite: &str) -> Result<i64, ApiError> {
    let now = crate::time::now_rfc3339();
    sqlx::query(
        "UPDATE interview_invites SET joined_at = COALESCE(joined_at, $1), \
         join_count = join_count + 1 WHERE id = $2",
    )
    .bind(&now)
    .bind(invite)
    .execute(db.pool())
    .await?;
    sqlx::query_scalar("SELECT join_count FROM interview_invites WHERE id = $1")
        .bind(invite)
        .fetch_one(db.pool())
        .await
        .map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_link_shaped_tokens_are_looked_up() {
        assert!(well_formed(&"ab12".repeat(16)));
        assert!(!well_formed(&"AB12".repeat(16)));
        assert!(!well_formed("abc"));
        assert!(!well_formed(&format!("{}/", "a".repeat(63))));
    }

    #[test]
    fn the_disclosure_says_it_is_an_ai_in_each_language() {
        assert!(disclosure("en").contains("AI interviewer"));
        assert!(disclosure("es").contains("entrevistador de IA"));
        assert_eq!(disclosure("fr"), disclosure("en"));
    }
}
