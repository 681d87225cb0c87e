//! Why a root-helper operation failed, and the exit code each failure gives the panel. A leaf:
//! every helper module reports through it and it depends on none of them.

use super::command::ParseError;
use super::validate::ArgError;

#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    #[error("usage: {0}")]
    Usage(String),
    #[error("refused: {0}")]
    Refused(String),
    #[error("{tool} unavailable: {detail}")]
    Unavailable { tool: &'static str, detail: String },
    #[error("{tool} failed ({}): {stderr}", code.map_or("killed by a signal".to_owned(), |c| format!("exit {c}")))]
    ToolFailed { tool: &'static str, code: Option<i32>, stderr: String },
    #[error("helper state: {0}")]
    State(String),
    #[error("must run as root (the panel calls it through sudo -n)")]
    NotRoot,
}

impl HelperError {
    pub fn exit_code(&self) -> u8 {
        match self {
            HelperError::Usage(_) => exit::USAGE,
            HelperError::Refused(_) => exit::REFUSED,
            HelperError::Unavailable { .. } => exit::UNAVAILABLE,
            HelperError::ToolFailed { .. } | HelperError::State(_) => exit::FAILED,
            HelperError::NotRoot => exit::NOT_ROOT,
        }
    }
}

impl From<ArgError> for HelperError {
    fn from(e: ArgError) -> Self {
        HelperError::Refused(e.to_string())
    }
}

impl From<ParseError> for HelperError {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Usage(why) => HelperError::Usage(why),
            ParseError::Refused(arg) => arg.into(),
        }
    }
}

/// The helper's exit codes (sysexits), read back by the panel's `CommandRunner`.
pub mod exit {
    pub const OK: u8 = 0;
    pub const USAGE: u8 = 64;
    pub const REFUSED: u8 = 65;
    pub const UNAVAILABLE: u8 = 69;
    pub const FAILED: u8 = 70;
    pub const NOT_ROOT: u8 = 77;
}
