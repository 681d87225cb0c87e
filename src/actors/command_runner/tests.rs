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
