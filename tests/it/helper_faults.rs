//! The root helper hangs (a `usermod` that never returns): the panel ends it at its timeout,
//! reports it, and neither the registry nor the pages wait for it meanwhile. A stand-in
//! helper script hangs on `create-user` and answers everything else at once.

use crate::helpers::{PanelDir, wait_for};
use serde_json::json;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(2);

fn hanging_helper(dir: &std::path::Path) -> std::path::PathBuf {
    let script = dir.join("helper");
    let d = dir.display();
    let body = format!(
        "#!/bin/sh\ncase \"$2\" in\n  create-user) sleep 600 & echo $! > {d}/tool.pid; wait ;;\n  *) exit 0 ;;\nesac\n"
    );
    std::fs::write(&script, body).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

fn running(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

#[test]
fn a_hung_helper_is_ended_at_its_timeout_and_reported_while_the_api_keeps_answering() {
    let tools = tempfile::tempdir().unwrap();
    let helper = hanging_helper(tools.path());
    let dir = PanelDir::new(json!({
        "command_backend": "direct", "helper_path": helper, "helper_timeout_secs": TIMEOUT.as_secs(),
    }));
    let panel = std::sync::Arc::new(dir.start());
    let creating = {
        let panel = panel.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let reply = panel.create_user("wsst-hang1", "Hang-Pass-1", json!({}));
            (reply.status, started.elapsed())
        })
    };
    let hung_tool = wait_for(Duration::from_secs(10), || {
        std::fs::read_to_string(tools.path().join("tool.pid")).ok().filter(|p| !p.trim().is_empty())
    })
    .expect("the helper was never asked to create the account");
    let hung_tool = hung_tool.trim().to_owned();
    // While the helper hangs: the registry has the user, and the API answers at once.
    let asked = Instant::now();
    let listed = panel.api("GET", "/api/users/wsst-hang1", None);
    let answered = asked.elapsed();
    assert_eq!(listed.status, 200, "{:?}", listed.json);
    assert!(running(&hung_tool), "the helper was ended before the API was asked");
    assert!(answered < Duration::from_secs(1), "GET took {answered:?} while the helper hung");
    // The create itself waits for its system commands, and so for the timeout, not longer.
    let (status, took) = creating.join().unwrap();
    assert_eq!(status, 201);
    assert!(took >= TIMEOUT && took < TIMEOUT + Duration::from_secs(4), "POST took {took:?}");
    let line = panel.wait_for_log(&["SYSTEM_COMMAND_FAILED", "create-user", "did not finish within 2 s"]);
    assert!(line.contains("wsst-hang1"), "{line}");
    let gone = wait_for(Duration::from_secs(3), || (!running(&hung_tool)).then_some(()));
    assert!(gone.is_some(), "the helper's hung tool {hung_tool} still runs after the timeout");
    // The runner is free again: the next command is not queued behind the hang.
    let paused = Instant::now();
    assert_eq!(panel.api("POST", "/api/users/wsst-hang1/pause", None).status, 200);
    assert!(paused.elapsed() < Duration::from_secs(2), "pause took {:?}", paused.elapsed());
}
