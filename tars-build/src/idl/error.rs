//! Diagnostics that point into `.tars` files, formatted like rustc's: `file:line:col: message`.

use std::fmt;

/// A position in a `.tars` file (1-based line and column, in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct Pos {
    /// Index into the loaded files.
    pub file: usize,
    pub line: u32,
    pub col: u32,
}

/// One problem found in the IDL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct IdlError {
    pub pos: Pos,
    pub message: String,
}

impl IdlError {
    pub(super) fn new(pos: Pos, message: impl Into<String>) -> Self {
        IdlError {
            pos,
            message: message.into(),
        }
    }
}

/// Formats errors against the names of the files they point into.
pub(super) struct Rendered<'a> {
    pub error: &'a IdlError,
    pub file_names: &'a [String],
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.file_names.get(self.error.pos.file) {
            Some(name) => write!(
                f,
                "{}:{}:{}: {}",
                name, self.error.pos.line, self.error.pos.col, self.error.message
            ),
            // Not inside any file: the root file could not be read.
            None => f.write_str(&self.error.message),
        }
    }
}
