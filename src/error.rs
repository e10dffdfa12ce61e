//! Errors: rule loading ([`LoadError`]), snapshot parsing ([`SnapshotError`]) and operation
//! checks ([`CheckError`]), each with a stable [`ErrorCode`].
//!
//! Messages are lowercase, have no trailing period and never contain a value from a customer
//! snapshot: a snapshot error names the JSON path and the expected shape, never the value.

use std::fmt;
use std::ops::Range;

/// A stable error code. Codes never change meaning; new codes are only added.
///
/// | code  | meaning |
/// |-------|---------|
/// | CG101 | TOML syntax error (including a key defined twice in one file) |
/// | CG102 | unknown key in a rule file (typos are errors, never a weaker rule) |
/// | CG103 | wrong type for a key in a rule file |
/// | CG104 | missing required key in a rule file |
/// | CG105 | id defined twice (in one source or across sources) |
/// | CG106 | reference to an unknown requirement, group, capability or context requirement |
/// | CG107 | dependency cycle (groups or capabilities) |
/// | CG108 | invalid regular expression in a `pattern` check |
/// | CG109 | unknown check kind |
/// | CG110 | invalid value in a rule file (bad path, timestamp, enumeration value, bounds, identifier) |
/// | CG111 | a requirement that can never be met (a `one_of` list none of whose values passes the other checks) |
/// | CG201 | snapshot is not valid JSON |
/// | CG202 | wrong type for a known snapshot field |
/// | CG203 | duplicate key in a snapshot object |
/// | CG204 | invalid timestamp in a known snapshot field |
/// | CG205 | snapshot nested too deeply |
/// | CG206 | missing required field in a snapshot entry |
/// | CG207 | snapshot larger than the size limit ([`crate::Limits`]) |
/// | CG208 | an array or object of a snapshot with more entries than the limit ([`crate::Limits`]) |
/// | CG301 | unknown operation |
/// | CG302 | invalid argument (an evaluation time that is not RFC 3339, say) |
/// | CG303 | unknown capability |
///
/// # Example
///
/// ```
/// let err = capgate::Snapshot::from_json("{").unwrap_err();
/// assert_eq!(err.code(), capgate::ErrorCode::JsonSyntax);
/// assert_eq!(err.code().as_str(), "CG201");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// CG101: TOML syntax error.
    TomlSyntax,
    /// CG102: unknown key in a rule file.
    UnknownKey,
    /// CG103: wrong type for a key in a rule file.
    WrongType,
    /// CG104: missing required key in a rule file.
    MissingKey,
    /// CG105: id defined twice.
    DuplicateId,
    /// CG106: reference to an unknown id.
    UnknownReference,
    /// CG107: dependency cycle.
    Cycle,
    /// CG108: invalid regular expression.
    InvalidPattern,
    /// CG109: unknown check kind.
    UnknownCheckKind,
    /// CG110: invalid value in a rule file.
    InvalidValue,
    /// CG111: a requirement that can never be met.
    NeverMet,
    /// CG201: snapshot is not valid JSON.
    JsonSyntax,
    /// CG202: wrong type for a known snapshot field.
    SnapshotType,
    /// CG203: duplicate key in a snapshot object.
    DuplicateKey,
    /// CG204: invalid timestamp in a known snapshot field.
    InvalidTimestamp,
    /// CG205: snapshot nested too deeply.
    TooDeep,
    /// CG206: missing required field in a snapshot entry.
    MissingField,
    /// CG207: snapshot larger than the size limit.
    TooLarge,
    /// CG208: an array or object with more entries than the limit.
    TooManyItems,
    /// CG301: unknown operation.
    UnknownOperation,
    /// CG302: invalid argument.
    InvalidArgument,
    /// CG303: unknown capability.
    UnknownCapability,
}

impl ErrorCode {
    /// The code as written in messages and on the wire (`"CG102"`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::ErrorCode::UnknownKey.as_str(), "CG102");
    /// assert_eq!(capgate::ErrorCode::UnknownOperation.to_string(), "CG301");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::TomlSyntax => "CG101",
            ErrorCode::UnknownKey => "CG102",
            ErrorCode::WrongType => "CG103",
            ErrorCode::MissingKey => "CG104",
            ErrorCode::DuplicateId => "CG105",
            ErrorCode::UnknownReference => "CG106",
            ErrorCode::Cycle => "CG107",
            ErrorCode::InvalidPattern => "CG108",
            ErrorCode::UnknownCheckKind => "CG109",
            ErrorCode::InvalidValue => "CG110",
            ErrorCode::NeverMet => "CG111",
            ErrorCode::JsonSyntax => "CG201",
            ErrorCode::SnapshotType => "CG202",
            ErrorCode::DuplicateKey => "CG203",
            ErrorCode::InvalidTimestamp => "CG204",
            ErrorCode::TooDeep => "CG205",
            ErrorCode::MissingField => "CG206",
            ErrorCode::TooLarge => "CG207",
            ErrorCode::TooManyItems => "CG208",
            ErrorCode::UnknownOperation => "CG301",
            ErrorCode::InvalidArgument => "CG302",
            ErrorCode::UnknownCapability => "CG303",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found while loading rule sources, located in its source.
///
/// # Example
///
/// ```
/// let errors = capgate::RuleSet::from_toml("rules.toml", "[capabilities.a]\nrequirments = []\n")
///     .unwrap_err();
/// let first = &errors.errors()[0];
/// assert_eq!(first.code().as_str(), "CG102");
/// assert_eq!((first.line(), first.column()), (2, 1));
/// assert_eq!(first.to_string(), "rules.toml:2:1: CG102: unknown key `requirments` in capability `a`");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    code: ErrorCode,
    message: String,
    source_name: String,
    span: Range<usize>,
    line: usize,
    column: usize,
    help: Option<String>,
}

impl LoadError {
    #[cold]
    pub(crate) fn new(
        code: ErrorCode,
        message: String,
        source_name: &str,
        lines: &LineIndex<'_>,
        span: Range<usize>,
    ) -> LoadError {
        let (line, column) = lines.line_column(span.start);
        LoadError {
            code,
            message,
            source_name: source_name.to_owned(),
            span,
            line,
            column,
            help: None,
        }
    }

    pub(crate) fn with_help(mut self, help: String) -> LoadError {
        self.help = Some(help);
        self
    }

    /// The stable error code.
    ///
    /// # Example
    ///
    /// ```
    /// let errors = capgate::RuleSet::from_toml("r.toml", "[capabilities.a]\nrequirments = []\n").unwrap_err();
    /// let error = &errors.errors()[0];
    /// assert_eq!(error.code(), capgate::ErrorCode::UnknownKey);
    /// ```
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message: lowercase, without location or code.
    ///
    /// # Example
    ///
    /// ```
    /// let errors = capgate::RuleSet::from_toml("r.toml", "[capabilities.a]\nrequirments = []\n").unwrap_err();
    /// let error = &errors.errors()[0];
    /// assert_eq!(error.message(), "unknown key `requirments` in capability `a`");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A hint on how to fix it, when there is one.
    ///
    /// # Example
    ///
    /// ```
    /// let errors = capgate::RuleSet::from_toml("r.toml", "[capabilities.a]\nrequirments = []\n").unwrap_err();
    /// let error = &errors.errors()[0];
    /// assert_eq!(error.help(), Some("did you mean `requirements`?"));
    /// ```
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// The name of the source (usually its file path).
    ///
    /// # Example
    ///
    /// ```
    /// let errors = capgate::RuleSet::from_toml("r.toml", "[capabilities.a]\nrequirments = []\n").unwrap_err();
    /// let error = &errors.errors()[0];
    /// assert_eq!(error.source_name(), "r.toml");
    /// ```
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The byte range in the source.
    ///
    /// # Example
    ///
    /// ```
    /// let errors = capgate::RuleSet::from_toml("r.toml", "[capabilities.a]\nrequirments = []\n").unwrap_err();
    /// let error = &errors.errors()[0];
    /// assert_eq!(error.span(), 17..28);
    /// assert_eq!(&"[capabilities.a]\nrequirments = []\n"[error.span()], "requirments");
    /// ```
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The 1-based line of the span's start.
    ///
    /// # Example
    ///
    /// ```
    /// let errors = capgate::RuleSet::from_toml("r.toml", "[capabilities.a]\nrequirments = []\n").unwrap_err();
    /// let error = &errors.errors()[0];
    /// assert_eq!(error.line(), 2);
    /// ```
    pub fn line(&self) -> usize {
        self.line
    }

    /// The 1-based column (in characters) of the span's start.
    ///
    /// # Example
    ///
    /// ```
    /// let errors = capgate::RuleSet::from_toml("r.toml", "[capabilities.a]\nrequirments = []\n").unwrap_err();
    /// let error = &errors.errors()[0];
    /// assert_eq!(error.column(), 1);
    /// ```
    pub fn column(&self) -> usize {
        self.column
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.source_name, self.line, self.column, self.code, self.message
        )
    }
}

impl std::error::Error for LoadError {}

/// Every problem found while loading rule sources (never empty), sorted by source and position.
///
/// # Example
///
/// ```
/// let text = "[capabilities.a]\nrequirements = [\"nope\"]\n[operations.b]\ncapabilities = [\"c\"]\n";
/// let errors = capgate::RuleSet::from_toml("r.toml", text).unwrap_err();
/// assert_eq!(errors.errors().len(), 2);
/// assert!(errors.to_string().contains("unknown requirement `nope`"));
/// assert!(errors.to_string().contains("unknown capability `c`"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadErrors {
    errors: Vec<LoadError>,
}

impl LoadErrors {
    pub(crate) fn new(errors: Vec<LoadError>) -> LoadErrors {
        LoadErrors { errors }
    }

    /// The problems, in source order.
    ///
    /// # Example
    ///
    /// ```
    /// let errors = capgate::RuleSet::from_toml("r.toml", "[capabilities.a]\nrequirments = []\n").unwrap_err();
    /// assert_eq!(errors.errors().len(), 1);
    /// assert_eq!(errors.errors()[0].code().as_str(), "CG102");
    /// ```
    pub fn errors(&self) -> &[LoadError] {
        &self.errors
    }
}

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (idx, error) in self.errors.iter().enumerate() {
            if idx > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// A snapshot that cannot be read: malformed JSON, or a known field of the wrong type.
///
/// It says where (a JSON pointer, and for syntax errors the line and column) and what was
/// expected. It never contains a value from the snapshot.
///
/// # Example
///
/// ```
/// let err = capgate::Snapshot::from_json(r#"{"individual": {"fullSsn": 123456789}}"#).unwrap_err();
/// assert_eq!(err.code().as_str(), "CG202");
/// assert_eq!(err.path(), "/individual/fullSsn");
/// assert_eq!(err.to_string(), "CG202: expected a string at /individual/fullSsn, found a number");
/// assert!(!format!("{err:?}").contains("123456789"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotError {
    code: ErrorCode,
    message: String,
    path: String,
    line: Option<usize>,
    column: Option<usize>,
}

impl SnapshotError {
    #[cold]
    pub(crate) fn at(code: ErrorCode, path: String, message: String) -> SnapshotError {
        SnapshotError {
            code,
            message,
            path,
            line: None,
            column: None,
        }
    }

    pub(crate) fn with_position(mut self, line: usize, column: usize) -> SnapshotError {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// The stable error code.
    ///
    /// # Example
    ///
    /// ```
    /// let err = capgate::Snapshot::from_json(r#"{"individual": {"fullSsn": 123}}"#).unwrap_err();
    /// assert_eq!(err.code(), capgate::ErrorCode::SnapshotType);
    /// ```
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message, without the code.
    ///
    /// # Example
    ///
    /// ```
    /// let err = capgate::Snapshot::from_json(r#"{"individual": {"fullSsn": 123}}"#).unwrap_err();
    /// assert_eq!(err.message(), "expected a string at /individual/fullSsn, found a number");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The JSON pointer (RFC 6901) of the offending value; `""` for the document itself.
    ///
    /// # Example
    ///
    /// ```
    /// let err = capgate::Snapshot::from_json(r#"{"individual": {"fullSsn": 123}}"#).unwrap_err();
    /// assert_eq!(err.path(), "/individual/fullSsn");
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The 1-based line, for syntax errors.
    ///
    /// # Example
    ///
    /// ```
    /// let err = capgate::Snapshot::from_json("{\n").unwrap_err();
    /// assert_eq!(err.code().as_str(), "CG201");
    /// assert!(err.line().is_some());
    /// ```
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The 1-based column, for syntax errors.
    ///
    /// # Example
    ///
    /// ```
    /// let err = capgate::Snapshot::from_json("{\n").unwrap_err();
    /// assert!(err.column().is_some());
    /// let typed = capgate::Snapshot::from_json(r#"{"customerId": 1}"#).unwrap_err();
    /// assert_eq!(typed.column(), None); // only syntax errors have a position
    /// ```
    pub fn column(&self) -> Option<usize> {
        self.column
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for SnapshotError {}

/// An operation check or explanation that cannot be made: an unknown operation (`CG301`) or
/// capability (`CG303`). It is never an allow.
///
/// # Example
///
/// ```
/// let rules = capgate::RuleSet::builtin();
/// let snapshot = capgate::Snapshot::from_json("{}")?;
/// let at = capgate::Timestamp::parse("2026-11-22T00:00:00Z")?;
/// let err = rules.check(&snapshot, "launchRocket", at).unwrap_err();
/// assert_eq!(err.code().as_str(), "CG301");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: unknown {} `{operation}`", code.as_str(), if *code == ErrorCode::UnknownCapability { "capability" } else { "operation" })]
pub struct CheckError {
    code: ErrorCode,
    operation: String,
}

impl CheckError {
    #[cold]
    pub(crate) fn unknown_operation(operation: &str) -> CheckError {
        CheckError {
            code: ErrorCode::UnknownOperation,
            operation: operation.to_owned(),
        }
    }

    #[cold]
    pub(crate) fn unknown_capability(capability: &str) -> CheckError {
        CheckError {
            code: ErrorCode::UnknownCapability,
            operation: capability.to_owned(),
        }
    }

    /// The stable error code.
    ///
    /// # Example
    ///
    /// ```
    /// let snapshot = capgate::Snapshot::from_json("{}")?;
    /// let at = capgate::Timestamp::parse("2026-11-22T00:00:00Z")?;
    /// let err = capgate::RuleSet::builtin().check(&snapshot, "launchRocket", at).unwrap_err();
    /// assert_eq!(err.code(), capgate::ErrorCode::UnknownOperation);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The operation (or, for `CG303`, the capability) that was asked for.
    ///
    /// # Example
    ///
    /// ```
    /// let snapshot = capgate::Snapshot::from_json("{}")?;
    /// let at = capgate::Timestamp::parse("2026-11-22T00:00:00Z")?;
    /// let err = capgate::RuleSet::builtin().check(&snapshot, "launchRocket", at).unwrap_err();
    /// assert_eq!(err.operation(), "launchRocket");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn operation(&self) -> &str {
        &self.operation
    }
}

/// The line starts of a text, computed once, so that locating each of many errors costs a
/// binary search and the length of one line, not a scan from the start of the text.
pub(crate) struct LineIndex<'t> {
    text: &'t str,
    /// Byte offset of each line's first character.
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub(crate) fn new(text: &'t str) -> LineIndex<'t> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(idx, _)| idx + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// The 1-based line and character column of byte `offset`.
    pub(crate) fn line_column(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line, column)
    }
}
