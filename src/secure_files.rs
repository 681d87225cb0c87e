//! Files with secrets, and files root writes into directories it does not own. Root (the
//! installer's steps, `admin-password`) writes into `/etc/wss-panel`, which the panel account
//! owns: a planted symbolic link there must never make root write anywhere else. So
//! [`replace_file`] opens the directory once (`O_NOFOLLOW`), refuses one that group or others
//! may write, creates a fresh randomly named temporary beside the target with
//! `O_CREAT | O_EXCL | O_NOFOLLOW`, gives it the directory's owner, and renames it over the
//! target (a rename replaces a link, it never follows one). A target that is a link or not a
//! regular file is refused. Used by the panel too, where it is simply an atomic write.

use nix::fcntl::{AtFlags, OFlag, openat, renameat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstat, fstatat};
use nix::unistd::{Gid, Uid, fchown, unlinkat};
use std::io::{Error, ErrorKind, Write};
use std::os::fd::OwnedFd;
use std::path::Path;

/// `n` random bytes from the OS, hex-encoded.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the OS random source is available");
    hex::encode(buf)
}

/// Creates a directory (and parents) readable only by its owner.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(path)
}

/// Creates (or truncates) a file readable only by its owner; never through a symbolic link.
/// For files in directories the caller owns; root writing elsewhere uses [`replace_file`].
pub fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(nofollow_flag())
        .open(path)
}

fn nofollow_flag() -> i32 {
    OFlag::O_NOFOLLOW.bits()
}

/// Reads a file without following a symbolic link at its last component; `Ok(None)` if it
/// does not exist.
pub fn read_nofollow(path: &Path) -> std::io::Result<Option<String>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let opened = std::fs::OpenOptions::new().read(true).custom_flags(nofollow_flag()).open(path);
    let mut file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => return Err(symlink_refused(path)),
        Err(e) => return Err(e),
    };
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(Some(text))
}

fn symlink_refused(path: &Path) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("{} is a symbolic link: refusing to follow it (remove it and retry)", path.display()),
    )
}

/// Replaces `path` with `bytes` (mode 0600, owned by the directory's owner when run as root)
/// atomically and without following any link; see the module doc.
pub fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (dir_path, name) = match (path.parent(), path.file_name()) {
        (Some(d), Some(n)) => (if d.as_os_str().is_empty() { Path::new(".") } else { d }, n),
        _ => return Err(Error::new(ErrorKind::InvalidInput, format!("{}: not a file path", path.display()))),
    };
    let dir = open_dir(dir_path)?;
    let dir_stat = fstat(&dir).map_err(Error::from)?;
    match fstatat(&dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) if file_type(&st) == SFlag::S_IFLNK => return Err(symlink_refused(path)),
        Ok(st) if file_type(&st) != SFlag::S_IFREG => {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("{} is not a regular file: refusing to replace it", path.display()),
            ));
        }
        Ok(_) | Err(nix::errno::Errno::ENOENT) => {}
        Err(e) => return Err(Error::from(e)),
    }
    let tmp = format!(".{}.{}.tmp", name.to_string_lossy(), random_hex(8));
    let flags = OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd = openat(&dir, tmp.as_str(), flags, Mode::from_bits_truncate(0o600)).map_err(Error::from)?;
    let written = fill(fd, bytes, &dir_stat)
        .and_then(|()| renameat(&dir, tmp.as_str(), &dir, name).map_err(Error::from));
    if let Err(e) = written {
        let _ = unlinkat(&dir, tmp.as_str(), nix::unistd::UnlinkatFlags::NoRemoveDir);
        return Err(Error::new(e.kind(), format!("{}: {e}", path.display())));
    }
    std::fs::File::from(dir).sync_all()
}

/// The directory, not through a link, and writable by its owner only: anyone else able to
/// write it could swap names under us.
fn open_dir(path: &Path) -> std::io::Result<OwnedFd> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let dir = nix::fcntl::open(path, flags, Mode::empty()).map_err(|e| {
        Error::new(Error::from(e).kind(), format!("{}: cannot open the directory: {e}", path.display()))
    })?;
    let st = fstat(&dir).map_err(Error::from)?;
    if st.st_mode & 0o022 != 0 {
        return Err(Error::new(
            ErrorKind::PermissionDenied,
            format!("{} is writable by group or others: refusing to write into it", path.display()),
        ));
    }
    Ok(dir)
}

fn file_type(st: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits())
}

/// Writes and syncs the temporary; as root, hands it to the directory's owner so that the
/// panel can read what root wrote into the panel's directory.
fn fill(fd: OwnedFd, bytes: &[u8], dir: &FileStat) -> std::io::Result<()> {
    if nix::unistd::geteuid().is_root() {
        fchown(&fd, Some(Uid::from_raw(dir.st_uid)), Some(Gid::from_raw(dir.st_gid))).map_err(Error::from)?;
    }
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_file_writes_privately_and_refuses_links() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("config.json");
        replace_file(&target, b"one").unwrap();
        replace_file(&target, b"two").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        assert_eq!(std::fs::metadata(&target).unwrap().mode() & 0o777, 0o600);
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let err = replace_file(&link, b"evil").unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(open_private(&link).is_err());
        assert!(read_nofollow(&link).unwrap_err().to_string().contains("symbolic link"));
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        let leftovers: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 3, "{leftovers:?}");
    }

    #[test]
    fn a_directory_others_may_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = replace_file(&dir.path().join("f"), b"x").unwrap_err();
        assert!(err.to_string().contains("writable by group or others"), "{err}");
    }
}
