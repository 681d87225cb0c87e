//! Files with secrets, and files root writes. Root (the installer's steps, `import-original`,
//! the helper's `set-ports`, `admin-password`) writes into `/etc/wss-panel`, which is root's
//! (group-readable by the panel account), and into the panel's data dir for the admin
//! password hash. Either way a planted symbolic link must never make root write or read
//! anywhere else. So [`replace_file`] opens the directory once (`O_NOFOLLOW`), refuses one
//! that group or others may write, creates a fresh randomly named temporary beside the target
//! with `O_CREAT | O_EXCL | O_NOFOLLOW`, gives it the directory's owner and group (readable by
//! that group when the directory is), and renames it over the target (a rename replaces a
//! link, it never follows one). A target that is a link or not a regular file is refused;
//! [`read_nofollow`] reads only regular files, never through a link, never blocking on a FIFO.
//! Used by the panel too, where it is simply an atomic write.

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
    let flags = nofollow_flag() | OFlag::O_NONBLOCK.bits();
    let opened = std::fs::OpenOptions::new().read(true).custom_flags(flags).open(path);
    let mut file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => return Err(symlink_refused(path)),
        Err(e) => return Err(e),
    };
    if !file.metadata()?.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{} is not a regular file: refusing to read it", path.display()),
        ));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(Some(text))
}

/// Only root may have written `path`: owned by root, not a link, not writable by group or
/// others (`want_dir`: a directory, else a regular file). For files root then trusts.
pub fn check_root_only(path: &Path, want_dir: bool) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let kind_ok = if want_dir { meta.is_dir() } else { meta.is_file() };
    if kind_ok && meta.uid() == 0 && meta.mode() & 0o022 == 0 {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::PermissionDenied,
        format!("{} is not root's alone (owner root, not group/other writable, not a link)", path.display()),
    ))
}

fn symlink_refused(path: &Path) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("{} is a symbolic link: refusing to follow it (remove it and retry)", path.display()),
    )
}

/// Replaces `path` with `bytes` atomically and without following any link; see the module
/// doc. Mode 0600, or 0640 when the directory grants its group read; owned by the
/// directory's owner and group when run as root.
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
    let mode = 0o600 | (dir_stat.st_mode & 0o040);
    let fd = openat(&dir, tmp.as_str(), flags, Mode::from_bits_truncate(mode)).map_err(Error::from)?;
    // The umask must not take the group's read away: set the mode explicitly.
    let written = nix::sys::stat::fchmod(&fd, Mode::from_bits_truncate(mode))
        .map_err(Error::from)
        .and_then(|()| fill(fd, bytes, &dir_stat))
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
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
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
    fn a_group_readable_directory_gets_group_readable_files() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o750)).unwrap();
        let target = dir.path().join("config.json");
        replace_file(&target, b"{}").unwrap();
        assert_eq!(std::fs::metadata(&target).unwrap().mode() & 0o777, 0o640);
    }

    #[test]
    fn read_nofollow_refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("admin_token");
        nix::unistd::mkfifo(&fifo, Mode::from_bits_truncate(0o600)).unwrap();
        // A FIFO nobody writes would block a plain open for ever.
        let err = read_nofollow(&fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        assert!(read_nofollow(dir.path()).is_err());
        assert_eq!(read_nofollow(&dir.path().join("absent")).unwrap(), None);
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
