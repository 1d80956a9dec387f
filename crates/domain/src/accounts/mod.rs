//! Accounts: who may do what. Portal users ([`users`]) with argon2id passwords
//! ([`password`]), their sessions ([`sessions`]) and sign-in throttling ([`sign_in`]); the
//! Runtime API's keys ([`api_keys`]). The admin API, the portal and the CLI (through the
//! admin API) create, resolve and revoke all of these only here.

pub mod api_keys;
pub mod password;
pub mod sessions;
pub mod sign_in;
pub mod users;
