//! Resource limits for untrusted snapshots.

/// Limits on a snapshot, checked while it is parsed, so that a hostile document cannot make
/// the caller spend unbounded memory or time.
///
/// A snapshot of the provider's Customer object is a few kilobytes, about five levels deep,
/// with a few dozen entries per object; the defaults leave wide room for that and refuse
/// what no real customer produces. A document over a limit is refused with its own error
/// code: [`ErrorCode::TooLarge`](crate::ErrorCode::TooLarge) (CG207) for its size,
/// [`ErrorCode::TooDeep`](crate::ErrorCode::TooDeep) (CG205) for its nesting,
/// [`ErrorCode::TooManyItems`](crate::ErrorCode::TooManyItems) (CG208) for the entries of one
/// array or object. Parsing stops at the first limit exceeded, so the work done on a refused
/// document is bounded by the limits, not by the document.
///
/// [`Snapshot::from_json`](crate::Snapshot::from_json) uses [`Limits::default`];
/// [`Snapshot::from_json_with`](crate::Snapshot::from_json_with) takes explicit limits, and
/// [`RuleSet::with_limits`](crate::RuleSet::with_limits) sets the limits the `wire`
/// functions (and so the CLI and the WASM package) apply to the snapshots they parse.
///
/// # Example
///
/// ```
/// use capgate::{ErrorCode, Limits, Snapshot};
///
/// let limits = Limits::default().with_max_items(3);
/// let text = r#"{"tosAcceptances": [
///     {"versionId": "a", "language": "en", "acceptedAt": "2026-01-01T00:00:00Z"},
///     {"versionId": "z", "language": "en", "acceptedAt": "2026-01-01T00:00:00Z"},
///     {"versionId": "b", "language": "en", "acceptedAt": "2026-01-01T00:00:00Z"},
///     {"versionId": "c", "language": "en", "acceptedAt": "2026-01-01T00:00:00Z"}]}"#;
/// let err = Snapshot::from_json_with(text, &limits).unwrap_err();
/// assert_eq!(err.code(), ErrorCode::TooManyItems);
/// assert_eq!(err.path(), "/tosAcceptances");
/// assert!(Snapshot::from_json(text).is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// The largest snapshot accepted, in bytes of JSON text (default 1 MiB).
    pub max_snapshot_bytes: usize,
    /// The deepest nesting of arrays and objects (default 32; the document itself is level
    /// 1). Values above 127 act as 127, the JSON parser's own bound, which protects the stack
    /// (its error has no JSON pointer, only a line and column).
    pub max_depth: usize,
    /// The most entries of any one array or object (default 10,000).
    pub max_items: usize,
}

impl Limits {
    /// The default limits: 1 MiB, 32 levels, 10,000 entries per array or object.
    pub const DEFAULT: Limits = Limits {
        max_snapshot_bytes: 1 << 20,
        max_depth: 32,
        max_items: 10_000,
    };

    /// The same limits with another maximum size in bytes.
    ///
    /// # Example
    ///
    /// ```
    /// let limits = capgate::Limits::default().with_max_snapshot_bytes(4);
    /// let err = capgate::Snapshot::from_json_with(r#"{"capabilities": {}}"#, &limits).unwrap_err();
    /// assert_eq!(err.code().as_str(), "CG207");
    /// ```
    #[must_use]
    pub const fn with_max_snapshot_bytes(mut self, bytes: usize) -> Limits {
        self.max_snapshot_bytes = bytes;
        self
    }

    /// The same limits with another maximum nesting depth.
    ///
    /// # Example
    ///
    /// ```
    /// let limits = capgate::Limits::default().with_max_depth(2);
    /// let err = capgate::Snapshot::from_json_with(r#"{"individual": {"address": {}}}"#, &limits)
    ///     .unwrap_err();
    /// assert_eq!((err.code().as_str(), err.path()), ("CG205", "/individual/address"));
    /// ```
    #[must_use]
    pub const fn with_max_depth(mut self, depth: usize) -> Limits {
        self.max_depth = depth;
        self
    }

    /// The same limits with another maximum number of entries per array or object.
    ///
    /// # Example
    ///
    /// ```
    /// let limits = capgate::Limits::default().with_max_items(1);
    /// let err = capgate::Snapshot::from_json_with(r#"{"a": 1, "b": 2}"#, &limits).unwrap_err();
    /// assert_eq!((err.code().as_str(), err.path()), ("CG208", ""));
    /// ```
    #[must_use]
    pub const fn with_max_items(mut self, items: usize) -> Limits {
        self.max_items = items;
        self
    }
}

impl Default for Limits {
    /// [`Limits::DEFAULT`].
    fn default() -> Limits {
        Limits::DEFAULT
    }
}
