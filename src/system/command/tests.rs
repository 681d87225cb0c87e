use super::*;
use proptest::prelude::*;

fn args(raw: &[&str]) -> Vec<String> {
    raw.iter().map(|s| s.to_string()).collect()
}

fn every_command() -> Vec<SystemCommand> {
    use SystemCommand::*;
    let user = Username::parse("alice").unwrap();
    let net = IpNet::parse("198.51.100.0/24").unwrap();
    let mut all = vec![
        CreateUser { user: user.clone() },
        LockUser { user: user.clone() },
        UnlockUser { user: user.clone() },
        DeleteUser { user: user.clone() },
        GrantShell { user: user.clone() },
        RevokeShell { user: user.clone() },
        KillUser { user },
        BanIp { net },
        UnbanIp { net },
        ServiceLogs { service: Service::WssPanel, lines: LogLines::new(200).unwrap() },
        GuardTunnels { udpgw_port: 7300 },
    ];
    for service in Service::ALL {
        all.push(RestartService { service });
        all.push(IsActive { service });
    }
    all
}

#[test]
fn every_command_round_trips_through_the_helper_argv() {
    for command in every_command() {
        let argv = command.helper_args();
        assert_eq!(argv[0], command.op());
        assert_eq!(
            SystemCommand::parse_helper_args(&argv),
            Ok(Parsed::Complete(command.clone())),
            "{argv:?}"
        );
    }
    assert_eq!(every_command()[9].helper_args(), args(&["logs", "wss_panel", "200"]));
}

#[test]
fn the_password_goes_to_stdin_and_never_into_argv() {
    let command = SystemCommand::SetPassword {
        user: Username::parse("alice").unwrap(),
        password: Password::parse("Tun-Pass-1").unwrap(),
    };
    assert_eq!(command.helper_args(), args(&["set-password", "alice"]));
    assert_eq!(command.stdin_payload().as_deref(), Some("Tun-Pass-1\n"));
    assert!(!command.describe().contains("Tun-Pass"));
    assert!(!format!("{command:?}").contains("Tun-Pass"));
    assert_eq!(
        SystemCommand::parse_helper_args(&command.helper_args()),
        Ok(Parsed::NeedsPassword(Username::parse("alice").unwrap()))
    );
}

#[test]
fn unknown_operations_and_wrong_arity_are_usage_errors() {
    for bad in [
        &[][..],
        &["shell"],
        &["exec", "/bin/sh"],
        &["--print-sudoers"],
        &["lock"],
        &["lock", "alice", "bob"],
        &["logs", "wss"],
        &["ban-ip", "1.2.3.4", "--", "x"],
        &["LOCK", "alice"],
    ] {
        assert!(matches!(SystemCommand::parse_helper_args(&args(bad)), Err(ParseError::Usage(_))), "{bad:?}");
    }
}

#[test]
fn hostile_operands_are_refused_by_every_operation() {
    let long = "a".repeat(33);
    let hostile = ["-o", "root", "alice,root", "../x", "a b", "a\nb", "a\0b", &long, "0.0.0.0/0", "", "*"];
    for (op, _) in OPERATIONS {
        for bad in hostile {
            let mut argv = args(&[op, bad]);
            if *op == "logs" {
                argv.push("10".into());
            }
            assert!(
                matches!(SystemCommand::parse_helper_args(&argv), Err(ParseError::Refused(_))),
                "{argv:?}"
            );
        }
    }
    for lines in ["0", "1001", "-5", "ten"] {
        assert!(SystemCommand::parse_helper_args(&args(&["logs", "wss", lines])).is_err());
    }
}

#[test]
fn only_is_active_runs_without_root() {
    for command in every_command() {
        assert_eq!(command.needs_root(), !matches!(command, SystemCommand::IsActive { .. }));
    }
}

proptest! {
    #[test]
    fn whatever_parses_renders_back_to_an_equivalent_argv(
        op in prop::sample::select(OPERATIONS.iter().map(|(op, _)| *op).collect::<Vec<_>>()),
        a in "\\PC{0,40}",
        b in "[0-9a-z]{0,5}",
    ) {
        let argv = vec![op.to_owned(), a, b];
        let argv = if op == "logs" { argv } else { argv[..2].to_vec() };
        if let Ok(Parsed::Complete(command)) = SystemCommand::parse_helper_args(&argv) {
            let again = SystemCommand::parse_helper_args(&command.helper_args());
            prop_assert_eq!(again, Ok(Parsed::Complete(command)));
        }
    }
}
