//! `POST /api/users` (and so `wss-panel user add`) answers once the Linux account change is
//! done, not when the store has it (issue 16, defect 6: the CLI returned ~0.1 s before the
//! account existed). The helper here is a stand-in that takes a while per command and logs it.

use crate::helpers::PanelDir;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;

#[test]
fn creating_a_user_answers_after_its_account_commands_ran() {
    let dir = PanelDir::new(json!({}));
    let log = dir.dir.path().join("helper.log");
    let helper = dir.dir.path().join("slow-helper");
    // Slow enough that an answer not waiting for it could never see the log complete.
    let script = format!("#!/bin/sh\ncat >/dev/null\nsleep 0.4\necho \"$*\" >> {}\n", log.display());
    std::fs::write(&helper, script).unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir.set_config(json!({ "command_backend": "direct", "helper_path": helper }));
    let panel = dir.start();
    let reply = panel.create_user("ready1", "pw-ready-1", json!({ "allow_shell": true }));
    assert_eq!(reply.status, 201);
    let done = std::fs::read_to_string(&log).unwrap_or_default();
    for op in ["create-user ready1", "set-password ready1", "grant-shell ready1"] {
        assert!(done.lines().any(|l| l == format!("privileged {op}")), "{op} not done at 201:\n{done}");
    }
}
