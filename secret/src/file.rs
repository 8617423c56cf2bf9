//! The secret key file: one line of base64, readable by its owner only, never overwritten.

use crate::{SecretError, SecretKey};
use std::io::Write;
use std::path::Path;

fn io(path: &Path, source: std::io::Error) -> SecretError {
    SecretError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `key` to a new file at `path` with mode 0600; refuses when the file exists, so a
/// key that sealed stored secrets is never lost to a second `keygen`.
pub fn write_new_secret_key(path: &Path, key: &SecretKey) -> Result<(), SecretError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => SecretError::Exists {
            path: path.display().to_string(),
        },
        _ => io(path, e),
    })?;
    writeln!(file, "{}", key.to_base64())
        .and_then(|()| file.sync_all())
        .map_err(|e| io(path, e))
}

/// Reads a key written by [`write_new_secret_key`].
pub fn read_secret_key(path: &Path) -> Result<SecretKey, SecretError> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    SecretKey::from_base64(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate;

    #[test]
    fn a_written_key_reads_back_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.key");
        let key = generate();
        write_new_secret_key(&path, &key).unwrap();
        assert_eq!(
            read_secret_key(&path).unwrap().public_key(),
            key.public_key()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn an_existing_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.key");
        let first = generate();
        write_new_secret_key(&path, &first).unwrap();
        let e = write_new_secret_key(&path, &generate()).unwrap_err();
        assert!(matches!(e, SecretError::Exists { .. }), "{e}");
        assert_eq!(
            read_secret_key(&path).unwrap().public_key(),
            first.public_key()
        );
    }
}
