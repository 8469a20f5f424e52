//! The report's typed names for what the parsers and the splitter say about the paste: section kinds
//! (the splitter's own enum, read and written by its name), how a section was recognised, and how much a
//! diagnostic matters. Each serialises to the same word as before.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use svcpath_syntax::SectionKind;

/// How the splitter recognised a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detection {
    /// A `===== svcpath: KIND =====` marker line.
    Marker,
    /// A shell command line naming the tool.
    Command,
    /// The content of the lines.
    Content,
    /// Chosen by the user.
    User,
}

impl Detection {
    pub fn name(self) -> &'static str {
        match self {
            Detection::Marker => "marker",
            Detection::Command => "command",
            Detection::Content => "content",
            Detection::User => "user",
        }
    }
}

impl From<svcpath_syntax::split::Detection> for Detection {
    fn from(d: svcpath_syntax::split::Detection) -> Detection {
        use svcpath_syntax::split::Detection as D;
        match d {
            D::Marker => Detection::Marker,
            D::Command => Detection::Command,
            D::Content => Detection::Content,
            D::User => Detection::User,
        }
    }
}

impl std::fmt::Display for Detection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How much a parser's diagnostic matters: `info` (recognised, deliberately not used), `warning` (part of
/// a line not understood), `error` (a line or more left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticSeverity {
    Info,
    Warning,
    Error,
}

impl DiagnosticSeverity {
    pub fn name(self) -> &'static str {
        match self {
            DiagnosticSeverity::Info => "info",
            DiagnosticSeverity::Warning => "warning",
            DiagnosticSeverity::Error => "error",
        }
    }
}

impl From<svcpath_syntax::Severity> for DiagnosticSeverity {
    fn from(s: svcpath_syntax::Severity) -> DiagnosticSeverity {
        match s {
            svcpath_syntax::Severity::Info => DiagnosticSeverity::Info,
            svcpath_syntax::Severity::Warning => DiagnosticSeverity::Warning,
            svcpath_syntax::Severity::Error => DiagnosticSeverity::Error,
        }
    }
}

impl std::fmt::Display for DiagnosticSeverity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// (De)serialises a [`SectionKind`] by its [`SectionKind::name`].
pub(crate) mod section_kind {
    use super::*;

    pub fn serialize<S: Serializer>(kind: &SectionKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SectionKind, D::Error> {
        let name = String::deserialize(d)?;
        SectionKind::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown section kind `{name}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serialised_words() {
        for d in [
            Detection::Marker,
            Detection::Command,
            Detection::Content,
            Detection::User,
        ] {
            assert_eq!(serde_json::to_value(d).unwrap(), d.name());
        }
        for s in [
            DiagnosticSeverity::Info,
            DiagnosticSeverity::Warning,
            DiagnosticSeverity::Error,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.name());
            let syntax = serde_json::to_value(match s {
                DiagnosticSeverity::Info => svcpath_syntax::Severity::Info,
                DiagnosticSeverity::Warning => svcpath_syntax::Severity::Warning,
                DiagnosticSeverity::Error => svcpath_syntax::Severity::Error,
            });
            assert_eq!(syntax.unwrap(), s.name());
        }
    }
}
