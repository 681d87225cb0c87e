//! Only refusals are tested in-process: they happen before any I/O. Real operations run in
//! the integration tests, inside a private mount namespace.

use super::*;

fn args(raw: &[&str]) -> Vec<String> {
    raw.iter().map(|s| s.to_string()).collect()
}

fn refused(raw: &[&str], stdin: &str) -> HelperError {
    match command_from(&args(raw), &mut stdin.as_bytes()) {
        Ok(command) => panic!("{raw:?} was accepted as {command:?}"),
        Err(e) => e,
    }
}

#[test]
fn names_with_nul_or_newline_are_refused_before_anything_runs() {
    for op in ["create-user", "lock", "delete-user", "set-password"] {
        for name in ["a\0b", "a\nb", "alice\0", "root\n"] {
            let e = refused(&[op, name], "pw\n");
            assert_eq!(e.exit_code(), exit::REFUSED, "{op} {name:?}: {e}");
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }
}

#[test]
fn passwords_that_could_forge_a_chpasswd_line_are_refused() {
    for pw in ["a\nroot:x\n", "a\rb", "a\0b", "a:b", "", "\n", "x\n\n"] {
        let e = refused(&["set-password", "alice"], pw);
        assert_eq!(e.exit_code(), exit::REFUSED, "{pw:?}: {e}");
    }
    let long = "x".repeat(5000);
    assert_eq!(refused(&["set-password", "alice"], &long).exit_code(), exit::REFUSED);
    let bytes: &[u8] = &[0xff, 0xfe, b'\n'];
    let e = command_from(&args(&["set-password", "alice"]), &mut &bytes[..]).unwrap_err();
    assert_eq!(e.exit_code(), exit::REFUSED);
}

#[test]
fn crypt_hashes_other_than_a_strict_sha512_one_are_refused() {
    let good = crate::domain::CryptHash::make(&crate::domain::Password::parse("x").unwrap());
    let good = good.expose();
    let forged = format!("{good}\nroot:{good}");
    let locked = format!("!{good}");
    let weak = good.replacen("$6$", "$1$", 1);
    let colon = format!("{}:", &good[..good.len() - 1]);
    let long = "$6$".repeat(600);
    for stdin in [forged.as_str(), &locked, &weak, &colon, "", "\n", "*", "!", "x", &long, "$6$$\n"] {
        let e = refused(&["set-crypt-hash", "alice"], stdin);
        assert_eq!(e.exit_code(), exit::REFUSED, "{stdin:?}: {e}");
        assert!(!e.to_string().contains(&good[3..19]), "the hash is echoed: {e}");
    }
    let bytes: &[u8] = &[b'$', b'6', b'$', 0xff, b'\n'];
    let e = command_from(&args(&["set-crypt-hash", "alice"]), &mut &bytes[..]).unwrap_err();
    assert_eq!(e.exit_code(), exit::REFUSED);
    for stdin in [good.to_owned(), format!("{good}\n")] {
        match command_from(&args(&["set-crypt-hash", "alice"]), &mut stdin.as_bytes()) {
            Ok(SystemCommand::SetCryptHash { hash, .. }) => assert_eq!(hash.expose(), good),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_password_arrives_with_or_without_its_newline() {
    for stdin in ["Tun-Pass-1", "Tun-Pass-1\n"] {
        let command = command_from(&args(&["set-password", "alice"]), &mut stdin.as_bytes());
        match command {
            Ok(SystemCommand::SetPassword { password, .. }) => {
                assert_eq!(password.expose(), "Tun-Pass-1")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn usage_errors_and_refusals_have_distinct_exit_codes() {
    assert_eq!(refused(&[], "").exit_code(), exit::USAGE);
    assert_eq!(refused(&["sh", "-c", "id"], "").exit_code(), exit::USAGE);
    assert_eq!(refused(&["lock"], "").exit_code(), exit::USAGE);
    assert_eq!(refused(&["lock", "root"], "").exit_code(), exit::REFUSED);
    assert_eq!(refused(&["ban-ip", "0.0.0.0/0"], "").exit_code(), exit::REFUSED);
    assert_eq!(refused(&["restart", "sshd"], "").exit_code(), exit::REFUSED);
}

#[test]
fn non_utf8_arguments_are_refused() {
    use std::os::unix::ffi::OsStringExt;
    let code = run_os(&[OsString::from("lock"), OsString::from_vec(vec![b'a', 0xff])]);
    assert_eq!(format!("{code:?}"), format!("{:?}", ExitCode::from(exit::REFUSED)));
}
