use super::*;
use crate::domain::{Password, Username};
use crate::system::Service;

fn lock_alice() -> SystemCommand {
    SystemCommand::LockUser { user: Username::parse("alice").unwrap() }
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn sudo_backend_runs_the_helper_through_sudo_without_a_prompt() {
    let backend = Backend::Sudo { helper_path: "/usr/local/bin/wss-panel".into() };
    let (program, args) = backend.argv(&lock_alice()).unwrap();
    assert_eq!(program, PathBuf::from("sudo"));
    assert_eq!(strs(&args), ["-n", "--", "/usr/local/bin/wss-panel", "privileged", "lock", "alice"]);
    let status = SystemCommand::IsActive { service: Service::Wss };
    let (program, args) = backend.argv(&status).unwrap();
    assert_eq!(program, PathBuf::from("/usr/local/bin/wss-panel"));
    assert_eq!(strs(&args), ["privileged", "is-active", "wss"]);
}

#[test]
fn direct_backend_runs_the_helper_itself() {
    let backend = Backend::Direct { helper_path: "/opt/wss-panel".into() };
    let (program, args) = backend.argv(&lock_alice()).unwrap();
    assert_eq!(program, PathBuf::from("/opt/wss-panel"));
    assert_eq!(strs(&args), ["privileged", "lock", "alice"]);
}

#[test]
fn exit_codes_map_to_errors() {
    let ok = classify(Some(0), "active\n".into(), "wss-panel privileged: ok");
    assert_eq!(ok.unwrap().stdout, "active\n");
    let refused = classify(Some(65), String::new(), "x: lock \"root\": refused: reserved\n");
    assert!(matches!(refused, Err(RunError::Refused(m)) if m.contains("reserved")));
    assert!(matches!(classify(Some(64), String::new(), ""), Err(RunError::Usage(_))));
    assert!(matches!(classify(Some(69), String::new(), ""), Err(RunError::Unavailable(_))));
    assert!(matches!(classify(Some(70), String::new(), ""), Err(RunError::Failed(_))));
    assert!(matches!(classify(Some(77), String::new(), ""), Err(RunError::NotPermitted(_))));
    let sudo = classify(Some(1), String::new(), "sudo: a password is required\n");
    assert!(matches!(sudo, Err(RunError::NotPermitted(_))));
    assert!(matches!(classify(Some(1), String::new(), "?"), Err(RunError::Failed(_))));
    assert!(matches!(classify(None, String::new(), ""), Err(RunError::Failed(_))));
}

#[actix::test]
async fn recording_backend_records_typed_commands_in_order() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let runner = CommandRunner::new(Backend::Recording(log.clone())).start();
    let set = SystemCommand::SetPassword {
        user: Username::parse("alice").unwrap(),
        password: Password::parse("Tun-Pass-1").unwrap(),
    };
    for command in [lock_alice(), set.clone()] {
        assert_eq!(runner.send(Run(command)).await.unwrap(), Ok(CommandOutput::default()));
    }
    assert_eq!(*log.lock().unwrap(), [lock_alice(), set]);
}

#[actix::test]
async fn a_missing_helper_is_a_spawn_error_not_a_hang() {
    let runner = CommandRunner::new(Backend::Direct { helper_path: "/nonexistent/wss-panel".into() }).start();
    let result = runner.send(Run(lock_alice())).await.unwrap();
    assert!(matches!(result, Err(RunError::Spawn { .. })), "{result:?}");
}

/// A stand-in for the root helper whose `lock` hangs like a `usermod` that never returns: it
/// starts a child that ignores SIGTERM (as the hung tool would), ignores SIGTERM itself, and
/// waits. Every other operation answers at once.
fn hanging_helper(dir: &std::path::Path) -> PathBuf {
    let script = dir.join("helper");
    let d = dir.display();
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ntrap '' TERM\ncase \"$2\" in\n  lock) echo $$ > {d}/helper.pid; sleep 600 & echo $! > {d}/tool.pid; wait ;;\n  *) echo \"done $2\" ;;\nesac\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

/// Alive and not a zombie.
fn running(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

#[actix::test]
async fn a_hung_helper_times_out_its_tool_dies_with_it_and_the_next_command_runs() {
    let dir = tempfile::tempdir().unwrap();
    let helper_path = hanging_helper(dir.path());
    let timeout = Duration::from_secs(1);
    let runner = CommandRunner::with_timeout(Backend::Direct { helper_path }, timeout).start();
    let started = std::time::Instant::now();
    let hung = runner.send(Run(lock_alice())).await.unwrap();
    let took = started.elapsed();
    assert_eq!(hung, Err(RunError::Timeout(timeout)));
    // The timeout, then the grace SIGTERM gets before SIGKILL.
    assert!(took >= timeout && took < timeout + PIPE_GRACE + Duration::from_secs(2), "took {took:?}");
    let pid = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap().trim().to_owned();
    let (helper, tool) = (pid("helper.pid"), pid("tool.pid"));
    let gone = |p: &str| {
        (0..40).any(|_| {
            let alive = running(p);
            if alive {
                std::thread::sleep(Duration::from_millis(50));
            }
            !alive
        })
    };
    assert!(gone(&helper), "the hung helper {helper} still runs");
    assert!(gone(&tool), "the helper's hung tool {tool} still runs");
    // The runner is not stuck behind it: the next command runs and answers at once.
    let unlock = SystemCommand::UnlockUser { user: Username::parse("alice").unwrap() };
    let started = std::time::Instant::now();
    let next = runner.send(Run(unlock)).await.unwrap();
    assert_eq!(next, Ok(CommandOutput { stdout: "done unlock\n".into() }));
    assert!(started.elapsed() < Duration::from_secs(1), "the next command took {:?}", started.elapsed());
}
