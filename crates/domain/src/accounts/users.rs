//! Creating portal users: the tenant must exist, the email is normalised (trimmed,
//! lower-case) and must look like one, the password must meet the rules and is hashed with
//! argon2id before anything is stored. Emails are unique across the server, so one sign-in
//! form serves every tenant; someone in two tenants uses two addresses. The admin API and
//! (through it) the admin CLI create and delete users only through here.

use super::password::{Password, PasswordError, hash_password_off_thread};
use junction_store::users::User;
use junction_store::{Store, StoreError};

/// The longest email accepted (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;

/// Why a user cannot be created; `Invalid` names the field.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hashing(PasswordError),
}

/// The email as stored and looked up: trimmed and lower-case; `None` if it cannot be an
/// address (`local@domain`, no spaces or control characters, at most 254 characters).
pub fn normalise_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let plausible = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.chars().count() <= MAX_EMAIL_CHARS
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    plausible.then_some(email)
}

/// Create a user of `tenant` (id or name).
pub async fn create_user(
    store: &Store,
    tenant: &str,
    email: &str,
    password: Password,
) -> Result<User, UserError> {
    let tenant = match store.tenant(tenant).await {
        Ok(tenant) => tenant,
        Err(StoreError::NotFound { .. }) => {
            return Err(UserError::Invalid {
                field: "tenant",
                message: format!("no tenant `{tenant}`"),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let email = normalise_email(email).ok_or_else(|| UserError::Invalid {
        field: "email",
        message: "give an email address like name@example.com".into(),
    })?;
    let hash = hash_password_off_thread(password)
        .await
        .map_err(|e| match e {
            PasswordError::Hashing(_) => UserError::Hashing(e),
            rule => UserError::Invalid {
                field: "password",
                message: rule.to_string(),
            },
        })?;
    Ok(store.create_user(&tenant.id, &email, &hash).await?)
}

/// Delete a user; their sessions end with them.
pub async fn delete(store: &Store, id: &str) -> Result<(), StoreError> {
    store.delete_user(id).await?;
    tracing::info!(user = %id, "portal user deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lower_cased_and_checked() {
        assert_eq!(
            normalise_email("  Ada.Lovelace@Example.COM ").as_deref(),
            Some("ada.lovelace@example.com")
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@@example.com",
            "a da@example.com",
            "ada@example.com.",
            "ada@.example.com",
        ] {
            assert_eq!(normalise_email(bad), None, "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(normalise_email(&long), None);
    }
}
