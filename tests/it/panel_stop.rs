//! Stopping the panel (SIGTERM, what `systemctl stop` and `restart` send) while a proxy holds
//! its `/ipc` socket: actix's graceful shutdown used to wait its default 30 s for that socket
//! (issue 16, defect 1). Now the panel closes `/ipc` and `/ws/ui` on SIGTERM and waits at most
//! 1 s for anything else (the proxy's idle keep-alive HTTP connection can hold it that long). The booted test measures `systemctl restart wss_panel` too.

use crate::helpers::{PanelDir, wait_for};
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn the_panel_stops_within_two_seconds_with_a_proxy_connected() {
    let dir = PanelDir::new(json!({}));
    let mut panel = dir.start();
    let _proxy = dir.start_proxy();
    panel.wait_for_log(&["NODE_CONNECTED"]);
    let started = Instant::now();
    let sent = Command::new("kill").args(["-TERM", &panel.child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let exited = wait_for(Duration::from_secs(40), || panel.child.try_wait().unwrap());
    let took = started.elapsed();
    assert!(exited.is_some(), "the panel did not exit");
    assert!(took < Duration::from_secs(2), "stopping took {took:?} with a proxy connected");
    // The panel closed the proxy's session itself (it logs NODE_DISCONNECTED on the way down).
    panel.wait_for_log(&["NODE_DISCONNECTED"]);
}
