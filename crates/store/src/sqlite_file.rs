//! The SQLite database file before the pool opens it: created owner-only (0600; SQLite
//! gives its `-wal` and `-shm` files the database file's mode), an existing file and its
//! companions narrowed to their owner (group and other bits cleared), and a file that is missing (without `mode=rwc`), in a
//! missing directory, or not writable refused with an error naming the file — instead of
//! SQLite silently opening it read-only and failing every write later.

use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::StoreError;

/// The file a `sqlite:` URL names, if it names one (not an in-memory database).
pub fn path_of(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// Get the file ready for a read-write pool; see the module doc.
pub fn prepare(url: &str) -> Result<(), StoreError> {
    let Some(path) = path_of(url) else {
        return Ok(());
    };
    let may_create = url.contains("mode=rwc");
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(StoreError::Config(format!(
            "the database directory `{}` does not exist (database file `{}`)",
            dir.display(),
            path.display()
        )));
    }
    if !path.exists() {
        if !may_create {
            return Err(StoreError::Config(format!(
                "the database file `{}` does not exist",
                path.display()
            )));
        }
        create_owner_only(&path)?;
    }
    narrow_permissions(&path);
    // SQLite would open a file it cannot write read-only, and fail every write later.
    if let Err(e) = OpenOptions::new().read(true).write(true).open(&path) {
        let why = match e.kind() {
            ErrorKind::PermissionDenied => "permission denied".to_string(),
            ErrorKind::ReadOnlyFilesystem => "the file system is read-only".to_string(),
            _ => e.to_string(),
        };
        return Err(StoreError::Config(format!(
            "the database file `{}` cannot be written ({why}): Junction needs to read and write it",
            path.display()
        )));
    }
    Ok(())
}

/// Can this process write the file now? (One open, for new connections only.)
pub fn writable(path: &Path) -> bool {
    OpenOptions::new().write(true).open(path).is_ok()
}

fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another process created it meanwhile: fine, it is narrowed next.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Config(format!(
            "cannot create the database file `{}`: {e}",
            path.display()
        ))),
    }
}

/// The database and its companion files readable by their owner only (best effort: a
/// file owned by someone else is left as it is, with a warning).
fn narrow_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut files = vec![path.to_path_buf()];
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut companion = path.as_os_str().to_owned();
            companion.push(suffix);
            files.push(PathBuf::from(companion));
        }
        for file in files {
            let Ok(meta) = std::fs::metadata(&file) else {
                continue;
            };
            let mode = meta.permissions().mode();
            if mode & 0o077 == 0 {
                continue;
            }
            // Only group and other bits go: a file its owner made read-only stays so.
            let narrowed = std::fs::Permissions::from_mode(mode & 0o7700);
            if let Err(e) = std::fs::set_permissions(&file, narrowed) {
                tracing::warn!(file = %file.display(), error = %e, "cannot make the database file owner-only");
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_file() {
        assert_eq!(
            path_of("sqlite:///data/junction.db?mode=rwc"),
            Some(PathBuf::from("/data/junction.db"))
        );
        assert_eq!(path_of("sqlite:data.db"), Some(PathBuf::from("data.db")));
        assert_eq!(path_of("sqlite::memory:"), None);
        assert_eq!(path_of("postgres://x/y"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_is_owner_only_and_an_old_one_is_narrowed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("junction.db");
        prepare(&format!("sqlite://{}?mode=rwc", db.display())).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&db), 0o600);
        let wal = dir.path().join("junction.db-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).unwrap();
        prepare(&format!("sqlite://{}?mode=rwc", db.display())).unwrap();
        assert_eq!((mode(&db), mode(&wal)), (0o600, 0o600));
    }

    #[test]
    fn a_missing_file_or_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.db");
        let err = prepare(&format!("sqlite://{}", missing.display())).unwrap_err();
        assert!(
            err.to_string().contains(&missing.display().to_string()),
            "{err}"
        );
        let in_missing_dir = dir.path().join("gone").join("j.db");
        let err = prepare(&format!("sqlite://{}?mode=rwc", in_missing_dir.display())).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
