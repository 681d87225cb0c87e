//! `delete-user` leaves nothing a later account with the same uid would inherit: the home,
//! the mail spool, and the files the account left under /tmp, /var/tmp and /dev/shm are gone
//! (a directory of its holding others' files is given to root). Real accounts and files, as
//! root in the sandbox, with private scratch directories.

use super::sandbox::{self, helper_ok, passwd_entry, run};
use std::os::unix::fs::{MetadataExt, PermissionsExt, lchown, symlink};
use std::path::Path;

const TOOLS: &[&str] = &["unshare", "mount", "useradd", "userdel", "pkill", "pgrep", "find", "chown"];

#[test]
fn a_deleted_tunnel_user_leaves_no_files_for_the_next_owner_of_its_uid() {
    sandbox::scenario_test(
        module_path!(),
        "a_deleted_tunnel_user_leaves_no_files_for_the_next_owner_of_its_uid",
        false,
        TOOLS,
        inside_leftovers,
    );
}

fn owned_by(uid: u32) -> Vec<String> {
    let mut found = Vec::new();
    for dir in ["/tmp", "/var/tmp", "/dev/shm", "/home", "/var/mail"] {
        let out = run("find", &[dir, "-xdev", "-uid", &uid.to_string()]);
        found.extend(String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned));
    }
    found
}

fn give(path: &str, uid: u32) {
    lchown(path, Some(uid), Some(uid)).unwrap();
}

fn inside_leftovers() {
    sandbox::enter();
    for dir in ["/tmp", "/var/tmp", "/dev/shm"] {
        sandbox::private_tmpfs(dir, "1777");
    }
    sandbox::private_tmpfs("/home", "0755");
    std::fs::create_dir_all("/var/mail").unwrap();
    std::fs::write("/etc/victim-file", "keep\n").unwrap();

    helper_ok(&["create-user", "gone1"], None);
    let entry = passwd_entry("gone1").unwrap();
    let uid: u32 = entry[2].parse().unwrap();
    let home = entry[5].clone();
    // What the account could leave behind, given a shell or a forwarded socket.
    std::fs::create_dir(&home).unwrap();
    std::fs::write(format!("{home}/notes"), "mine").unwrap();
    for p in [home.as_str(), &format!("{home}/notes")] {
        give(p, uid);
    }
    let spool = "/var/mail/gone1";
    std::fs::write(spool, "mail").unwrap();
    give(spool, uid);
    std::fs::create_dir("/tmp/gone1-dir").unwrap();
    std::fs::write("/tmp/gone1-dir/inner", "x").unwrap();
    std::fs::create_dir("/tmp/shared").unwrap();
    std::fs::set_permissions("/tmp/shared", std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::write("/tmp/shared/someone-elses", "theirs").unwrap();
    for file in ["/tmp/gone1.txt", "/var/tmp/gone1.txt", "/dev/shm/gone1-shm"] {
        std::fs::write(file, "x").unwrap();
        give(file, uid);
    }
    symlink("/etc/victim-file", "/tmp/gone1-link").unwrap();
    for p in ["/tmp/gone1-dir", "/tmp/gone1-dir/inner", "/tmp/gone1-link", "/tmp/shared"] {
        give(p, uid);
    }
    std::fs::write("/tmp/roots-file", "root's").unwrap();
    assert_eq!(owned_by(uid).len(), 10, "{:?}", owned_by(uid));

    helper_ok(&["delete-user", "gone1"], None);
    assert_eq!(owned_by(uid), Vec::<String>::new());
    for gone in
        [home.as_str(), spool, "/tmp/gone1.txt", "/tmp/gone1-dir", "/tmp/gone1-link", "/var/tmp/gone1.txt"]
    {
        assert!(std::fs::symlink_metadata(gone).is_err(), "{gone} is still there");
    }
    assert!(!Path::new("/dev/shm/gone1-shm").exists());
    // Others' files stay; the link's target was never touched; the shared dir is root's now.
    assert_eq!(std::fs::read_to_string("/etc/victim-file").unwrap(), "keep\n");
    assert_eq!(std::fs::read_to_string("/tmp/roots-file").unwrap(), "root's");
    assert_eq!(std::fs::read_to_string("/tmp/shared/someone-elses").unwrap(), "theirs");
    assert_eq!(std::fs::metadata("/tmp/shared").unwrap().uid(), 0);

    // The next account gets the same uid, and nothing with it.
    helper_ok(&["create-user", "next1"], None);
    assert_eq!(passwd_entry("next1").unwrap()[2], uid.to_string(), "the uid was not reused");
    assert_eq!(owned_by(uid), Vec::<String>::new());
}
