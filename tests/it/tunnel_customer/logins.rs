//! Every tunnel arrives at the main sshd from loopback. The installer's drop-in opens password
//! logins there for the tunnel group only: a tunnel account logs in, while a normal account
//! with a password and root (both allowed a password by nothing but the drop-in) are refused,
//! even though the customer holds valid tunnel credentials for the proxy.

use super::{Host, TOOLS, TUNNEL_GROUP, TUNNEL_PASSWORD, TUNNEL_USER, text};
use crate::privileged::sandbox::{self, run};
use std::process::Output;

#[test]
fn only_tunnel_accounts_get_password_logins_through_the_tunnel() {
    sandbox::scenario_test(
        module_path!(),
        "only_tunnel_accounts_get_password_logins_through_the_tunnel",
        true,
        TOOLS,
        inside,
    );
}

fn set_password(user: &str, password: &str) {
    let mut chpasswd = std::process::Command::new("chpasswd");
    chpasswd.stdin(std::process::Stdio::piped());
    let mut child = chpasswd.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(format!("{user}:{password}\n").as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "chpasswd {user}");
}

fn refused(out: &Output, who: &str) {
    assert!(
        out.status.code() == Some(255)
            && text(out).contains("Permission denied")
            && !text(out).contains("uid="),
        "{who} got in through the tunnel:\n{}",
        text(out)
    );
}

fn inside() {
    sandbox::enter();
    let host = Host::start(7300);
    let dropin =
        std::fs::read_to_string(host.stage.path("/etc/ssh/sshd_config.d/50-wss-panel.conf")).unwrap();
    assert!(dropin.contains(&format!("Match Group {TUNNEL_GROUP} Address 127.0.0.1,::1")), "{dropin}");
    let staged_group = std::fs::read_to_string(host.stage.path("/etc/group")).unwrap();
    assert!(staged_group.lines().any(|l| l.starts_with("wss_tunnel:")), "the installer made no group");

    // The tunnel account: logged in (nologin answers; authentication failures exit 255).
    let out = host.ssh(TUNNEL_USER, TUNNEL_PASSWORD, &[], &["id"]);
    assert!(
        out.status.code() == Some(1) && text(&out).contains("This account is currently not available"),
        "the tunnel account did not log in:\n{}",
        text(&out)
    );
    let groups = String::from_utf8(run("id", &["-gn", TUNNEL_USER]).stdout).unwrap();
    assert_eq!(groups.trim(), TUNNEL_GROUP, "primary group");

    run("useradd", &["-M", "-s", "/bin/sh", "normal1"]);
    set_password("normal1", "Normal-Pass-1");
    set_password("root", "Root-Pass-1");
    refused(&host.ssh("normal1", "Normal-Pass-1", &[], &["id"]), "normal1");
    refused(&host.ssh("root", "Root-Pass-1", &[], &["id"]), "root");

    // The password was right: in the tunnel group, the same account gets in.
    run("gpasswd", &["--add", "normal1", TUNNEL_GROUP]);
    let out = host.ssh("normal1", "Normal-Pass-1", &[], &["id", "-un"]);
    assert!(out.status.success() && text(&out).contains("normal1"), "{}", text(&out));
}
