//! Argon2id password hashing (m = 19 MiB, t = 2, p = 1, as OWASP recommends). At most as many
//! hashes run at once as there are cores: each takes 19 MiB and a core for tens of milliseconds,
//! so a burst of sign-ins waits its turn instead of multiplying memory and stalling every request.

use std::sync::{Condvar, Mutex, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A counting semaphore for the hashes running now.
struct Permits {
    free: Mutex<usize>,
    returned: Condvar,
}

fn permits() -> &'static Permits {
    static PERMITS: OnceLock<Permits> = OnceLock::new();
    PERMITS.get_or_init(|| Permits {
        free: Mutex::new(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .clamp(1, 4),
        ),
        returned: Condvar::new(),
    })
}

/// Runs `f` once a hash permit is free.
fn one_at_a_time<T>(f: impl FnOnce() -> T) -> T {
    let p = permits();
    {
        let mut free = p.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = p.returned.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
    }
    struct Release(&'static Permits);
    impl Drop for Release {
        fn drop(&mut self) {
            *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            self.0.returned.notify_one();
        }
    }
    let _release = Release(p);
    f()
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    one_at_a_time(|| hash_now(password))
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2 failed: {e}"))
}

/// True when `password` matches `stored`. A malformed hash never matches.
pub fn verify(stored: &str, password: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => one_at_a_time(|| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        }),
        Err(_) => false,
    }
}

/// Spends the same time as a real verification, for unknown accounts, so that timing does not
/// tell whether an email is registered.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("mailrith-dummy-password").unwrap_or_default());
    let _ = verify(stored, password);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_argon2id_and_owasp_params() {
        let h = hash("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&h, "correct horse battery staple"));
        assert!(!verify(&h, "wrong"));
        assert!(!verify("not a hash", "x"));
        assert_ne!(h, hash("correct horse battery staple").unwrap(), "salted");
    }
}
