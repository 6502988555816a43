//! Files only the operator can read. The data folder holds the node's
//! signing key, its TLS key and the database with every bidder's share
//! bundles: the folder is created with mode 0700 and those files with mode
//! 0600 (SQLite gives its `-wal` and `-shm` files the database file's mode).
//! `clearing-node run` refuses to start when group or others can read or
//! write the folder or any of those files, naming each and the `chmod` that
//! fixes it.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

/// The signing key (Ed25519, raw) in the data folder.
pub const SIGNING_KEY_FILE: &str = "identity.key";
/// The TLS private key (PEM) in the data folder.
pub const TLS_KEY_FILE: &str = "tls.key";
/// The database file in the data folder.
pub const DB_FILE: &str = "node.db";
/// The data folder's mode.
pub const DIR_MODE: u32 = 0o700;
/// The mode of every secret file.
pub const FILE_MODE: u32 = 0o600;

/// The bits that must be clear: read or write for group or others.
const OPEN_BITS: u32 = 0o066;

/// The secret files of a data folder (whether they exist yet or not), each
/// with what it holds.
pub fn secret_files(data: &Path) -> Vec<(PathBuf, &'static str)> {
    vec![
        (
            data.join(SIGNING_KEY_FILE),
            "this node's Ed25519 signing key",
        ),
        (data.join(TLS_KEY_FILE), "this node's TLS private key"),
        (data.join(DB_FILE), "the database with the bidders' shares"),
        (
            data.join(format!("{DB_FILE}-wal")),
            "the database's write-ahead log",
        ),
        (
            data.join(format!("{DB_FILE}-shm")),
            "the database's shared-memory index",
        ),
    ]
}

/// Creates the data folder (and missing parents) with mode 0700. An existing
/// folder is kept if only its owner can read and write it, and refused
/// otherwise.
pub fn create_data_dir(dir: &Path) -> anyhow::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(DIR_MODE);
    }
    b.create(dir)
        .with_context(|| format!("creating the data folder {}", dir.display()))?;
    match open_to_others(dir, true)? {
        Some(problem) => bail!("{problem}"),
        None => Ok(()),
    }
}

/// Creates a folder inside the data folder (an added auction's) with mode
/// 0700, keeping an existing one only its owner can read and write.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    create_data_dir(dir)
}

/// Creates an empty file with mode 0600 unless it exists (the database,
/// before SQLite opens it, so that it never exists with a wider mode).
pub fn create_private_file(path: &Path) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(FILE_MODE);
    }
    match opts.open(path) {
        Ok(f) => {
            f.sync_all()
                .with_context(|| format!("creating {}", path.display()))?;
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

/// Checks the data folder and those of its secret files that exist, with
/// the folders of its added auctions (`crate::sites::added_folders`); the
/// error names every file group or others can read or write, its mode, and
/// the command that fixes it.
pub fn check_data_dir(dir: &Path, added: &[PathBuf]) -> anyhow::Result<()> {
    if !dir.is_dir() {
        bail!(
            "the data folder {} does not exist or is not a folder; create it with `clearing-node init --data {}`",
            dir.display(),
            dir.display()
        );
    }
    let mut problems = Vec::new();
    problems.extend(open_to_others(dir, true)?);
    let mut files = secret_files(dir);
    // The added auctions' folders and databases.
    for folder in added {
        problems.extend(open_to_others(folder, true)?);
        for suffix in ["", "-wal", "-shm"] {
            files.push((
                folder.join(format!("{DB_FILE}{suffix}")),
                "an added auction's database with the bidders' shares",
            ));
        }
    }
    for (path, what) in files {
        if path.exists() {
            problems
                .extend(open_to_others(&path, false)?.map(|p| format!("{p} (it holds {what})")));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        bail!(
            "refusing to run: the data folder {} or its secret files are open to other users:\n  {}",
            dir.display(),
            problems.join("\n  ")
        )
    }
}

/// `Some(description and fix)` when group or others may read or write `path`.
#[cfg(unix)]
fn open_to_others(path: &Path, dir: bool) -> anyhow::Result<Option<String>> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .with_context(|| format!("reading the mode of {}", path.display()))?
        .permissions()
        .mode()
        & 0o7777;
    if mode & OPEN_BITS == 0 {
        return Ok(None);
    }
    let (kind, fix) = if dir {
        ("data folder", DIR_MODE)
    } else {
        ("file", FILE_MODE)
    };
    Ok(Some(format!(
        "{kind} {} has mode {mode:04o}: group or others can read or write it; fix with `chmod {fix:o} {}`",
        path.display(),
        path.display()
    )))
}

#[cfg(not(unix))]
fn open_to_others(_path: &Path, _dir: bool) -> anyhow::Result<Option<String>> {
    Ok(None)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn created_private_and_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/node");
        create_data_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let db = dir.join(DB_FILE);
        create_private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        create_private_file(&db).unwrap();
        check_data_dir(&dir, &[]).unwrap();

        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = check_data_dir(&dir, &[]).unwrap_err().to_string();
        assert!(e.contains("has mode 0640"), "{e}");
        assert!(e.contains(&format!("chmod 600 {}", db.display())), "{e}");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = check_data_dir(&dir, &[]).unwrap_err().to_string();
        assert!(e.contains("has mode 0755"), "{e}");
        assert!(e.contains(&format!("chmod 700 {}", dir.display())), "{e}");
        // An existing folder open to others is not taken by init either.
        assert!(create_data_dir(&dir).is_err());
        // Group or others may traverse but not read or write: accepted.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711)).unwrap();
        check_data_dir(&dir, &[]).unwrap();
    }
}
