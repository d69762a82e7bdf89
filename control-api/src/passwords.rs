//! Password hashing with a memory bound, and the rules a new password must meet.
//!
//! Every hash and every verification runs argon2id with `m = 19456 KiB, t = 2, p = 1` (the
//! OWASP-recommended minimum and the argon2 crate's default): about 19 MiB of memory each. A
//! [`Hasher`] runs at most `concurrency` of them at once on blocking threads and lets at most
//! `queue` more wait; beyond that a request is refused at once with 503 and `Retry-After`, so a
//! burst of registrations or logins costs at most `concurrency × 19 MiB` of hashing memory,
//! whatever its size. The permit travels with the blocking task, so a client that hangs up
//! mid-hash does not free a slot while its hash still runs.
//!
//! Logins of unknown accounts verify against a dummy hash, so their timing does not tell
//! whether an account exists.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::error::ApiError;

/// Working memory of one argon2 run, allocated with a capacity above glibc's largest dynamic
/// mmap threshold (32 MiB) so that it is always a mapping of its own, handed back to the
/// kernel when it is dropped; only the `blocks` the run uses are touched. A 19 MiB buffer
/// would instead come from a malloc arena once the threshold has adapted, and each blocking
/// thread's arena would keep its buffers after the burst (measured: +570 MiB resident after
/// 100 registrations, for good).
fn working_memory(blocks: usize) -> Vec<Block> {
    const MAPPED_BYTES: usize = 33 * 1024 * 1024;
    let mut memory = Vec::with_capacity(blocks.max(MAPPED_BYTES / Block::SIZE));
    memory.resize(blocks, Block::default());
    memory
}

/// One argon2 run of `password` with `salt` (base64, as stored), as argon2's own
/// `PasswordHasher` computes it, over [`working_memory`].
fn compute(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: Salt<'_>,
) -> argon2::password_hash::Result<Output> {
    let mut salt_buffer = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buffer)?;
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let mut memory = working_memory(params.block_count());
    let argon2 = Argon2::new(algorithm, version, params);
    Output::init_with(len, |out| {
        Ok(argon2.hash_password_into_with_memory(password, salt, out, &mut memory)?)
    })
}

/// A new PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password`.
fn hash_phc(password: &[u8]) -> argon2::password_hash::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    let params = Params::default();
    let output = compute(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password,
        salt.as_salt(),
    )?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

/// Whether `password` matches the PHC string `hash` (with the parameters stored in it); a
/// malformed hash never matches. The comparison is constant-time (`Output`'s equality).
fn verify_phc(password: &[u8], hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    compute(algorithm, version, params, password, salt).is_ok_and(|out| out == expected)
}

/// Bytes of memory one hash or verification takes.
pub const MEMORY_PER_HASH: usize = Params::DEFAULT_M_COST as usize * 1024;

/// Runs password hashes with bounded concurrency and a bounded queue.
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// Requests admitted (running or waiting).
    admitted: AtomicUsize,
    max_admitted: usize,
    dummy: OnceCell<String>,
    runs: std::sync::atomic::AtomicU64,
}

/// Releases an admission slot when dropped.
struct Admission<'a>(&'a AtomicUsize);

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Hasher {
    /// At most `concurrency` (at least 1) hashes at once and `queue` more waiting.
    pub fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            admitted: AtomicUsize::new(0),
            max_admitted: concurrency + queue,
            dummy: OnceCell::new(),
            runs: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Runs `work` on a blocking thread once a permit is free; 503 when the queue is full.
    async fn run<R: Send + 'static>(
        &self,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, ApiError> {
        let before = self.admitted.fetch_add(1, Ordering::AcqRel);
        let _admission = Admission(&self.admitted);
        if before >= self.max_admitted {
            return Err(ApiError::Busy(1));
        }
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        self.runs.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))
    }

    /// Hashes and verifications run so far (each one argon2 computation).
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    /// Hashes `password` with a random salt into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || {
            hash_phc(password.as_bytes())
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing password: {e}")))
        })
        .await?
    }

    /// Whether `password` matches `hash`. `None` (no such account) verifies against a dummy
    /// hash and answers false, taking as long as a real verification. A malformed stored hash
    /// never matches.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let (hash, real) = match hash {
            Some(hash) => (hash, true),
            None => (self.dummy().await?, false),
        };
        let matched = self
            .run(move || verify_phc(password.as_bytes(), &hash))
            .await?;
        Ok(real && matched)
    }

    async fn dummy(&self) -> Result<String, ApiError> {
        self.dummy
            .get_or_try_init(|| self.hash(uuid::Uuid::new_v4().to_string()))
            .await
            .cloned()
    }
}

/// Passwords that meet the length rule but are among the most used; compared lowercased.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "password1234",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "12345678",
    "123456789",
    "1234567890",
    "0123456789",
    "87654321",
    "11111111",
    "00000000",
    "qwertyui",
    "qwertyuiop",
    "qwerty12",
    "qwerty123",
    "qwerty1234",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "zaq12wsx",
    "asdfghjk",
    "asdfghjkl",
    "zxcvbnm1",
    "iloveyou",
    "iloveyou1",
    "letmein1",
    "letmein123",
    "welcome1",
    "welcome123",
    "admin123",
    "admin1234",
    "administrator",
    "abc12345",
    "abcd1234",
    "abcdefgh",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "basketball",
    "superman",
    "starwars",
    "whatever",
    "changeme",
    "trustno1",
    "monkey123",
    "dragon123",
    "master123",
    "michael1",
    "jennifer",
    "computer",
    "internet",
    "shadow12",
    "freedom1",
    "default1",
    "secret123",
    "test1234",
    "testtest",
    "guest123",
    "login123",
    "hello123",
    "football1",
    "11223344",
    "12341234",
    "12121212",
    "123123123",
    "qazwsxedc",
    "1qaz2wsx",
    "q1w2e3r4",
    "a1b2c3d4",
    "mustang1",
    "charlie1",
    "access14",
];

/// Refuses passwords an attacker would try first: shorter than 8 or longer than 128
/// characters, fewer than 5 distinct characters, a straight run (`12345678`, `hgfedcba`), a
/// common password, or one that contains the account's e-mail name or username.
pub fn check_strength(password: &str, email: &str, username: Option<&str>) -> Result<(), ApiError> {
    let weak = |why: &str| ApiError::Unprocessable(format!("password is too weak: {why}"));
    let chars: Vec<char> = password.chars().collect();
    if chars.len() < 8 || chars.len() > 128 {
        return Err(ApiError::Unprocessable(
            "password must be 8 to 128 characters".to_owned(),
        ));
    }
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Err(weak("use at least 5 different characters"));
    }
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0])))
        .collect();
    if steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == -1) {
        return Err(weak("it is a straight run of characters"));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err(weak("it is one of the most common passwords"));
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    let names = [Some(local.as_str()), username];
    if names
        .into_iter()
        .flatten()
        .any(|name| name.chars().count() >= 4 && lower.contains(&name.to_lowercase()))
    {
        return Err(weak("it contains your e-mail name or username"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        for (password, why) in [
            ("short", "8 to 128"),
            ("aaaaaaaa", "different characters"),
            ("abababab", "different characters"),
            ("12345678", "straight run"),
            ("hgfedcba", "straight run"),
            ("Password123", "most common"),
            ("QWERTYUIOP", "most common"),
            ("janedoe-2024", "e-mail name"),
            ("my-handle-xyz", "username"),
        ] {
            let err = check_strength(password, "janedoe@example.com", Some("handle"))
                .expect_err(password);
            assert!(err.to_string().contains(why), "{password}: {err}");
        }
        for ok in ["securepassword", "correct horse battery", "Tr0ub4dor&3x"] {
            assert!(
                check_strength(ok, "janedoe@example.com", Some("handle")).is_ok(),
                "{ok}"
            );
        }
    }

    #[test]
    fn hashes_agree_with_the_argon2_crate_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let ours = hash_phc(b"securepassword").expect("hash");
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        let parsed = PasswordHash::new(&ours).expect("PHC");
        assert!(
            Argon2::default()
                .verify_password(b"securepassword", &parsed)
                .is_ok()
        );
        // A hash the crate made (as every stored hash before this module was) verifies here.
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let theirs = Argon2::default()
            .hash_password(b"securepassword", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_phc(b"securepassword", &theirs));
        assert!(!verify_phc(b"securepassword!", &theirs));
        assert!(!verify_phc(b"securepassword", "$argon2id$v=19$garbage"));
        assert!(!verify_phc(b"securepassword", ""));
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once_and_unknown_accounts_never_match() {
        let hasher = Hasher::new(1, 0);
        let hash = hasher
            .hash("securepassword".to_owned())
            .await
            .expect("hash");
        assert!(
            hasher
                .verify("securepassword".to_owned(), Some(hash.clone()))
                .await
                .expect("verify")
        );
        assert!(
            !hasher
                .verify("wrong-password".to_owned(), Some(hash))
                .await
                .expect("verify")
        );
        assert!(
            !hasher
                .verify("securepassword".to_owned(), None)
                .await
                .expect("dummy")
        );
        // One running, none may wait: the second concurrent request is refused with 503.
        let (a, b) = tokio::join!(
            hasher.hash("first-password".to_owned()),
            hasher.hash("second-password".to_owned())
        );
        let refused = [a, b].into_iter().filter(|r| r.is_err()).count();
        assert_eq!(refused, 1, "one of two concurrent hashes is refused");
        assert_eq!(hasher.admitted.load(Ordering::Acquire), 0);
    }
}
