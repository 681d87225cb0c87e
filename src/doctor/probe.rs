//! Running a read-only tool for a check and folding its answer into one line. A leaf that
//! every check module uses.

use std::process::Command;

pub(super) struct Ran {
    pub ok: bool,
    pub output: String,
}

pub(super) fn run(program: &str, args: &[&str]) -> Result<Ran, String> {
    let out = Command::new(program).args(args).output().map_err(|e| format!("cannot run {program}: {e}"))?;
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok(Ran { ok: out.status.success(), output: output.trim().to_owned() })
}

pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
