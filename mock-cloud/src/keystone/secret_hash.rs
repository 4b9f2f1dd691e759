//! Salted hashes of users' passwords and application-credential secrets: Keystone keeps only
//! those (`password_hash_algorithm`; pbkdf2_sha512 is one it offers), and so does the mock, in
//! memory and in its state database. A hash is a PHC string
//! (`$pbkdf2-sha512$i=ROUNDS,l=64$SALT$HASH`) that names its own cost, so a hash made with
//! other rounds still verifies.

use pbkdf2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use pbkdf2::{Algorithm, Params, Pbkdf2};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The default cost: 1,000 PBKDF2-SHA512 rounds, about a millisecond in a debug build. Tests
/// issue a token (one verification) per test and start a cloud (two hashes, for admin and demo)
/// as often; Keystone's passlib default (25,000 and more) would make each of those a visible
/// wait. The mock's users are test users with well-known passwords: the point of hashing is
/// that no secret sits in plain text in its state, not resistance to offline guessing.
pub(crate) const DEFAULT_ROUNDS: u32 = 1_000;

/// How secrets are hashed: PBKDF2-SHA512 with this many rounds and a random 16-byte salt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hasher {
    rounds: u32,
}

impl Default for Hasher {
    fn default() -> Self {
        Hasher::new(DEFAULT_ROUNDS)
    }
}

impl Hasher {
    /// A hasher with `rounds` rounds (at least 1).
    pub(crate) fn new(rounds: u32) -> Hasher {
        Hasher {
            rounds: rounds.max(1),
        }
    }

    /// A salted hash of `secret`.
    pub(crate) fn hash(&self, secret: &str) -> SecretHash {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
        let params = Params {
            rounds: self.rounds,
            output_length: 64,
        };
        let hash = Pbkdf2
            .hash_password_customized(
                secret.as_bytes(),
                Some(Algorithm::Pbkdf2Sha512.ident()),
                None,
                params,
                &salt,
            )
            .expect("PBKDF2 takes any rounds, salt and 64-byte output");
        SecretHash(hash.to_string())
    }
}

/// A salted hash of a secret, as a PHC string. Empty when there is none (a legacy record not
/// yet upgraded): nothing verifies against it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct SecretHash(String);

impl SecretHash {
    /// Whether `candidate` is the secret this is the hash of (compared in constant time).
    pub(crate) fn verify(&self, candidate: &str) -> bool {
        PasswordHash::new(&self.0)
            .is_ok_and(|hash| Pbkdf2.verify_password(candidate.as_bytes(), &hash).is_ok())
    }
}

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_secret_only_and_is_salted() {
        let hasher = Hasher::default();
        let hash = hasher.hash("s3cret");
        assert!(hash.verify("s3cret"));
        assert!(!hash.verify("s3cret "));
        assert!(!hash.verify(""));
        assert!(!hash.0.contains("s3cret"));
        assert!(
            hash.0.starts_with("$pbkdf2-sha512$i=1000,l=64$"),
            "{}",
            hash.0
        );
        assert_ne!(hasher.hash("s3cret"), hash, "a fresh salt each time");
        assert!(!SecretHash::default().verify(""));
    }

    #[test]
    fn a_hash_names_its_cost_so_another_hasher_still_verifies_it() {
        let hash = Hasher::new(3).hash("pw");
        assert!(hash.0.contains("i=3,"), "{}", hash.0);
        assert!(hash.verify("pw"));
    }
}
