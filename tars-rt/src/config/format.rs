//! The TARS config file format (TarsCpp's `TC_Config`): nested `<domain>` ... `</domain>`
//! sections holding `key=value` lines, `#` comment lines. Values keep everything after the
//! first `=` (endpoints contain spaces; some values contain `=`). A line without `=` is a key
//! with an empty value, as TC_Config reads it.

use std::collections::BTreeMap;
use std::fmt;

/// A syntax error, with the 1-based line it is on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
#[non_exhaustive]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One `key=value` with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Param {
    /// The value, trimmed.
    pub value: String,
    /// 1-based line number.
    pub line: usize,
}

/// A `<name>` section: its parameters and subsections, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Domain {
    /// The section name (`server`, `TestApp.HelloServer.HelloObjAdapter`, …).
    pub name: String,
    /// Line of the opening tag (0 for the root).
    pub line: usize,
    /// `key=value` lines.
    pub params: BTreeMap<String, Param>,
    /// Nested sections.
    pub domains: Vec<Domain>,
}

impl Domain {
    /// Parses a whole file.
    pub fn parse(text: &str) -> Result<Domain, ParseError> {
        let mut stack = vec![Domain::default()];
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let mut t = raw.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            // Tags may share a line (`<tars><application>`); a `key=value` ends it.
            while t.starts_with('<') {
                let end = t
                    .find('>')
                    .ok_or_else(|| err(line, format!("'{t}' is missing its closing '>'")))?;
                let tag = &t[..=end];
                t = t[end + 1..].trim_start();
                if let Some(name) = tag.strip_prefix("</").and_then(|r| r.strip_suffix('>')).map(str::trim) {
                    let open = stack
                        .pop()
                        .filter(|_| !stack.is_empty())
                        .ok_or_else(|| err(line, format!("'</{name}>' closes nothing")))?;
                    if open.name != name {
                        return Err(err(
                            line,
                            format!(
                                "'</{name}>' does not close '<{}>' (opened on line {})",
                                open.name, open.line
                            ),
                        ));
                    }
                    stack.last_mut().expect("root stays on the stack").domains.push(open);
                } else {
                    let name = tag[1..tag.len() - 1].trim();
                    if name.is_empty() || name.contains(['<', '>', '=']) {
                        return Err(err(line, format!("invalid section name in '{tag}'")));
                    }
                    stack.push(Domain {
                        name: name.to_string(),
                        line,
                        ..Domain::default()
                    });
                }
            }
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let (key, value) = match t.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => (t, ""),
            };
            if key.is_empty() {
                return Err(err(line, format!("'{t}' has no key before '='")));
            }
            let domain = stack.last_mut().expect("root stays on the stack");
            domain.params.insert(
                key.to_string(),
                Param {
                    value: value.to_string(),
                    line,
                },
            );
        }
        if stack.len() > 1 {
            let open = stack.pop().expect("checked");
            return Err(err(open.line, format!("'<{}>' is never closed", open.name)));
        }
        Ok(stack.pop().expect("root"))
    }

    /// The subsection at a `/`-separated path, e.g. `tars/application/server`.
    pub fn domain(&self, path: &str) -> Option<&Domain> {
        path.split('/')
            .filter(|p| !p.is_empty())
            .try_fold(self, |d, name| d.domains.iter().find(|x| x.name == name))
    }

    /// A parameter of this section.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(|p| p.value.as_str())
    }
}

fn err(line: usize, message: String) -> ParseError {
    ParseError { line, message }
}

/// Writes the domain back in the TARS config format.
impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn write(d: &Domain, depth: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let pad = "    ".repeat(depth);
            for (k, p) in &d.params {
                writeln!(f, "{pad}{k}={}", p.value)?;
            }
            for sub in &d.domains {
                writeln!(f, "{pad}<{}>", sub.name)?;
                write(sub, depth + 1, f)?;
                writeln!(f, "{pad}</{}>", sub.name)?;
            }
            Ok(())
        }
        write(self, 0, f)
    }
}
