//! Errors and warnings, each tied to the path of the value it is about.
//!
//! Every stage pushes into one `Diagnostics` and carries on, so the user sees every problem of
//! their file at once instead of fixing them one deploy at a time. Paths use the compose
//! notation users know from error messages of docker compose: `services.web.ports[1]`, with keys
//! that contain dots quoted (`deploy.labels."ecs.task.family"`).

use std::fmt;

/// One finding: where, what (with the way out when there is one), and its code, stable and
/// listed in the README (`CX1103`), which users can search and allow a warning by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub path: String,
    pub message: String,
    pub code: &'static str,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "{} [{}]", self.message, self.code)
    }
}

#[cfg(test)]
impl Diagnostic {
    /// `path: message` without the code, for tests about the message.
    pub fn plain(&self) -> String {
        format!("{}: {}", self.path, self.message)
    }
}

/// Collected errors and warnings of one run.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn error(&mut self, code: &'static str, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(Diagnostic { path: path.into(), message: message.into(), code });
    }

    pub fn warn(&mut self, code: &'static str, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Diagnostic { path: path.into(), message: message.into(), code });
    }

    /// Leaves out the warnings of these codes (the user accepts them: `--allow`).
    pub fn allow(&mut self, codes: &[String]) {
        self.warnings.retain(|w| !codes.iter().any(|c| c == w.code));
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// How many errors were found so far (a reader compares it to tell whether it found any).
    pub fn error_count(&self) -> usize {
        self.errors.len()
    }

    /// Errors, sorted and de-duplicated.
    pub fn errors(&self) -> Vec<Diagnostic> {
        sorted(&self.errors)
    }

    /// Warnings, sorted and de-duplicated.
    pub fn warnings(&self) -> Vec<Diagnostic> {
        sorted(&self.warnings)
    }

    /// Moves everything from `other` into `self`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.errors.extend(other.errors);
        self.warnings.extend(other.warnings);
    }

    /// The macro's `errorMessage`: every error on its own line, cut to a readable length.
    pub fn error_message(&self, max_lines: usize) -> String {
        let errors = self.errors();
        let mut lines: Vec<String> = errors.iter().take(max_lines).map(|d| d.to_string()).collect();
        if errors.len() > max_lines {
            lines.push(format!("(+{} more)", errors.len() - max_lines));
        }
        lines.join("\n")
    }
}

fn sorted(list: &[Diagnostic]) -> Vec<Diagnostic> {
    let mut v = list.to_vec();
    v.sort();
    v.dedup();
    v
}

/// Appends `key` to a dotted path, quoting keys that contain dots or spaces.
pub fn join(path: &str, key: &str) -> String {
    let needs_quotes = key.is_empty() || key.bytes().any(|b| matches!(b, b'.' | b' ' | b'"' | b'[' | b']'));
    let mut out = String::with_capacity(path.len() + key.len() + 3);
    out.push_str(path);
    if !path.is_empty() {
        out.push('.');
    }
    if needs_quotes {
        out.push_str(&format!("{key:?}"));
    } else {
        out.push_str(key);
    }
    out
}

/// Appends a list index to a path: `ports` → `ports[1]`.
pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_quote_dotted_keys() {
        assert_eq!(
            join("services.web.deploy.labels", "ecs.task.family"),
            "services.web.deploy.labels.\"ecs.task.family\""
        );
        assert_eq!(join("", "services"), "services");
        assert_eq!(index("services.web.ports", 1), "services.web.ports[1]");
    }

    #[test]
    fn errors_are_sorted_deduplicated_and_cut() {
        let mut d = Diagnostics::new();
        d.error("CX0002", "b", "two");
        d.error("CX0001", "a", "one");
        d.error("CX0002", "b", "two");
        d.error("CX0003", "c", "three");
        assert_eq!(d.error_message(2), "a: one [CX0001]\nb: two [CX0002]\n(+1 more)");
    }
}
