/// Auth owns who may do what: passwords (Argon2id through libargon2), sessions, API tokens,
/// TOTP, role-based permissions, login throttling and the tamper-evident audit log.
///
/// It must never store a secret in the clear (tokens are kept as SHA-256 hashes) and never
/// run password hashing on an event loop.
public enum Auth {}
