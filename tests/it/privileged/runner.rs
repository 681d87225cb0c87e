//! `CommandRunner` end to end: the recording backend keeps typed commands; the direct and
//! sudo backends really run the helper binary (as root, in the sandbox).

use super::sandbox::{self, BIN, helper_list, passwd_entry, password_status, run};
use std::sync::{Arc, Mutex};
use wss_panel::actors::command_runner::{Backend, CommandRunner, Run, RunError};
use wss_panel::domain::{Password, Username};
use wss_panel::system::{IpNet, LogLines, Service, SystemCommand};

fn user(name: &str) -> Username {
    Username::parse(name).unwrap()
}

#[actix::test]
async fn the_recording_backend_keeps_every_typed_command() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let runner = actix::Actor::start(CommandRunner::new(Backend::Recording(log.clone())));
    let commands = vec![
        SystemCommand::CreateUser { user: user("alice") },
        SystemCommand::SetPassword { user: user("alice"), password: Password::parse("Tun-Pass-1").unwrap() },
        SystemCommand::BanIp { net: IpNet::parse("203.0.113.0/24").unwrap() },
        SystemCommand::ServiceLogs { service: Service::Wss, lines: LogLines::new(50).unwrap() },
    ];
    for command in &commands {
        let out = runner.send(Run(command.clone())).await.unwrap().unwrap();
        assert!(out.stdout.is_empty());
    }
    assert_eq!(*log.lock().unwrap(), commands);
}

#[test]
fn the_direct_and_sudo_backends_run_the_real_helper() {
    let tools = ["unshare", "mount", "useradd", "usermod", "chpasswd", "passwd", "sudo"];
    sandbox::scenario_test(
        module_path!(),
        "the_direct_and_sudo_backends_run_the_real_helper",
        false,
        &tools,
        || actix::System::new().block_on(inside_real_backends()),
    );
}

async fn inside_real_backends() {
    sandbox::enter();
    run("useradd", &["-M", "-s", "/usr/sbin/nologin", "preexist"]);
    let direct = actix::Actor::start(CommandRunner::new(Backend::Direct { helper_path: BIN.into() }));
    let send = |command| direct.send(Run(command));
    send(SystemCommand::CreateUser { user: user("tun1") }).await.unwrap().unwrap();
    send(SystemCommand::SetPassword { user: user("tun1"), password: Password::parse("Tun-Pass-1").unwrap() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(password_status("tun1"), "P");
    send(SystemCommand::LockUser { user: user("tun1") }).await.unwrap().unwrap();
    assert_eq!(password_status("tun1"), "L");

    let refused = send(SystemCommand::LockUser { user: user("preexist") }).await.unwrap();
    assert!(
        matches!(&refused, Err(RunError::Refused(m)) if m.contains("not created by wss-panel")),
        "{refused:?}"
    );

    // Root may always sudo; this checks the sudo argv shape with the real sudo.
    let via_sudo = actix::Actor::start(CommandRunner::new(Backend::Sudo { helper_path: BIN.into() }));
    via_sudo.send(Run(SystemCommand::CreateUser { user: user("tun2") })).await.unwrap().unwrap();
    assert!(passwd_entry("tun2").is_some());
    assert_eq!(helper_list(), ["tun1", "tun2"]);
}
