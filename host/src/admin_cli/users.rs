//! `junction admin users ...`: portal users (create, list, delete), each one admin API
//! request. The password is read from standard input only (`--password-stdin`), never from
//! an argument, where it would show in the process list and the shell's history.

use std::io::BufRead;

use clap::Subcommand;
use serde_json::json;

use super::{AdminClient, Answer};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Portal users (of one tenant, or all), without their passwords.
    List {
        /// Only this tenant (id or name).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Create a portal user; the password (at least 12 characters) is read from standard
    /// input, e.g. `printf '%s' "$PASSWORD" | junction admin users create ... --password-stdin`.
    Create {
        /// Tenant id or name.
        #[arg(long)]
        tenant: String,
        /// The sign-in email (unique across the server).
        #[arg(long)]
        email: String,
        /// Read the password from standard input (its first line; required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Delete a portal user by id; their portal sessions end at once.
    Delete { id: String },
}

pub(super) async fn users(client: &AdminClient, command: UserCommand) -> anyhow::Result<Answer> {
    match command {
        UserCommand::List { tenant } => {
            client.get("/users", &[("tenant", tenant.as_deref())]).await
        }
        UserCommand::Create {
            tenant,
            email,
            password_stdin: _,
        } => {
            let password = read_password(std::io::stdin().lock())?;
            client
                .send(
                    "POST",
                    "/users",
                    json!({ "tenant": tenant, "email": email, "password": password }),
                )
                .await
        }
        UserCommand::Delete { id } => {
            client
                .send("DELETE", &format!("/users/{id}"), json!({}))
                .await
        }
    }
}

/// The first line of `input`, without its line ending; an empty one is refused here.
fn read_password(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .map_err(|e| anyhow::anyhow!("cannot read the password from standard input: {e}"))?;
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    if line.is_empty() {
        anyhow::bail!("--password-stdin: standard input held no password");
    }
    Ok(line)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_the_first_line_without_its_ending() {
        assert_eq!(
            read_password("correct horse battery\n".as_bytes()).unwrap(),
            "correct horse battery"
        );
        assert_eq!(
            read_password("a b c d e f g\r\n".as_bytes()).unwrap(),
            "a b c d e f g"
        );
        assert_eq!(
            read_password("no newline".as_bytes()).unwrap(),
            "no newline"
        );
        assert!(read_password("".as_bytes()).is_err());
        assert!(read_password("\n".as_bytes()).is_err());
    }
}
