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
        SetPorts { ports: ListenPorts { panel: 54321, wss_http: 80, wss_tls: 443 } },
        SetDoorPorts { doors: DoorPorts { stunnel: 444, sshd: 2222 } },
        ListAccounts,
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
fn the_crypt_hash_goes_to_stdin_and_never_into_argv_or_logs() {
    let hash = crate::domain::CryptHash::make(&Password::parse("Tun-Pass-1").unwrap());
    let command = SystemCommand::SetCryptHash { user: Username::parse("alice").unwrap(), hash: hash.clone() };
    assert_eq!(command.helper_args(), args(&["set-crypt-hash", "alice"]));
    assert_eq!(command.stdin_payload(), Some(format!("{}\n", hash.expose())));
    assert!(!command.describe().contains("$6$") && !format!("{command:?}").contains("$6$"));
    assert_eq!(
        SystemCommand::parse_helper_args(&command.helper_args()),
        Ok(Parsed::NeedsCryptHash(Username::parse("alice").unwrap()))
    );
    assert!(matches!(
        SystemCommand::parse_helper_args(&args(&["list-accounts", "alice"])),
        Err(ParseError::Usage(_))
    ));
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
            if *op == "list-accounts" {
                let parsed = SystemCommand::parse_helper_args(&argv);
                assert!(matches!(parsed, Err(ParseError::Usage(_))), "{argv:?}");
                continue;
            }
            if *op == "logs" {
                argv.push("10".into());
            }
            if *op == "set-ports" {
                argv.extend(["80".into(), "443".into()]);
            }
            if *op == "set-door-ports" {
                argv.push("2222".into());
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
fn door_ports_are_two_different_listen_ports() {
    let parse = |raw: &[&str]| SystemCommand::parse_helper_args(&args(raw));
    assert_eq!(
        parse(&["set-door-ports", "8444", "8222"]),
        Ok(Parsed::Complete(SystemCommand::SetDoorPorts { doors: DoorPorts { stunnel: 8444, sshd: 8222 } }))
    );
    for bad in
        [["0", "2222"], ["444", "0"], ["444", "444"], ["444", "65536"], ["+444", "2222"], ["444", " 2222"]]
    {
        let argv = [&["set-door-ports"][..], &bad[..]].concat();
        assert!(matches!(parse(&argv), Err(ParseError::Refused(_))), "{argv:?}");
    }
    assert!(matches!(parse(&["set-door-ports", "444"]), Err(ParseError::Usage(_))));
}

#[test]
fn only_is_active_runs_without_root() {
    for command in every_command() {
        assert_eq!(command.needs_root(), !matches!(command, SystemCommand::IsActive { .. }));
    }
}

/// Operands of the shape `op` takes (a name, an address with or without a prefix, a
/// service, a port) three times in four, else near misses and arbitrary text.
fn operand(op: &str) -> BoxedStrategy<String> {
    let shape: BoxedStrategy<String> = match op {
        "ban-ip" | "unban-ip" => prop_oneof![
            "(1?[0-9]{1,2}|2[0-4][0-9]|25[0-5])(\\.(1?[0-9]{1,2}|2[0-4][0-9]|25[0-5])){3}(/[0-9]{1,2})?",
            "[0-9a-f]{1,4}(:[0-9a-f]{1,4}){7}(/[0-9]{1,3})?",
        ]
        .boxed(),
        "restart" | "logs" | "is-active" => {
            prop::sample::select(vec!["wss", "wss_panel", "stunnel@wss", "sshd_stunnel", "sshd"])
                .prop_map(String::from)
                .boxed()
        }
        "guard-tunnels" | "set-door-ports" => "[0-9]{1,6}".boxed(),
        _ => "[a-z_][a-z0-9_-]{0,31}".boxed(),
    };
    prop_oneof![3 => shape, 1 => "\\PC{0,40}"].boxed()
}

#[test]
fn whatever_parses_renders_back_to_an_equivalent_argv() {
    use proptest::test_runner::{Config, TestRunner};
    use std::cell::Cell;
    let complete = Cell::new(0u32);
    let ops = prop::sample::select(OPERATIONS.iter().map(|(op, _)| *op).collect::<Vec<_>>());
    let mut runner = TestRunner::new(Config { cases: 1024, failure_persistence: None, ..Config::default() });
    runner
        .run(
            &ops.prop_flat_map(|op| (Just(op), operand(op), "[0-9]{1,4}|[0-9a-z]{0,5}", "[0-9]{1,5}")),
            |(op, a, b, c)| {
                let argv = vec![op.to_owned(), a, b, c];
                let argv = match op {
                    "set-ports" => argv,
                    "logs" | "set-door-ports" => argv[..3].to_vec(),
                    "list-accounts" => argv[..1].to_vec(),
                    _ => argv[..2].to_vec(),
                };
                if let Ok(Parsed::Complete(command)) = SystemCommand::parse_helper_args(&argv) {
                    complete.set(complete.get() + 1);
                    let again = SystemCommand::parse_helper_args(&command.helper_args());
                    prop_assert_eq!(again, Ok(Parsed::Complete(command)));
                }
                Ok(())
            },
        )
        .unwrap();
    // The round trip is the point: a good share of the argvs must reach it (about half
    // do; 40% leaves room for the random draw without letting a parser that refuses
    // everything pass).
    eprintln!("{} of 1024 argvs parsed", complete.get());
    assert!(complete.get() >= 410, "only {} of 1024 argvs parsed", complete.get());
}
