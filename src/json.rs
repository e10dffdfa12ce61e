//! A JSON tree for customer snapshots that rejects duplicate keys and never prints values.
//!
//! `serde_json::Value` keeps the last of two duplicate keys, which would let
//! `"requested": false, "requested": true` through silently. This tree refuses it, and its
//! `Debug` output shows only the shape of the document, never a string or number in it.

use std::cell::RefCell;
use std::fmt;

/// A JSON string or key. With the `inline-strings` feature (on by default), strings of up to
/// 24 bytes (most keys and values of a snapshot) are stored inline, without an allocation;
/// the WASM build leaves it out to stay small.
#[cfg(feature = "inline-strings")]
pub(crate) type Text = compact_str::CompactString;
#[cfg(not(feature = "inline-strings"))]
pub(crate) type Text = String;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::error::{ErrorCode, SnapshotError};
use crate::limits::Limits;

/// A parsed JSON value.
#[derive(Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(Text),
    Array(Vec<Json>),
    Object(JsonObject),
}

/// A JSON object: entries sorted by key, keys unique (duplicates are rejected on parse).
///
/// A sorted vector rather than a map: one allocation per object, binary-search lookups.
#[derive(Clone, PartialEq, Default)]
pub(crate) struct JsonObject {
    entries: Vec<(Text, Json)>,
}

impl JsonObject {
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        // Snapshot objects are small: comparing lengths first rejects most keys without
        // touching their bytes, which beats a binary search's ordered comparisons.
        if self.entries.len() <= 32 {
            return self
                .entries
                .iter()
                .find(|(k, _)| {
                    k.len() == key.len()
                        && k.as_bytes().first() == key.as_bytes().first()
                        && k.as_bytes() == key.as_bytes()
                })
                .map(|(_, value)| value);
        }
        let idx = self
            .entries
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()?;
        self.entries.get(idx).map(|(_, value)| value)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.entries
            .iter()
            .map(|(key, value)| (key.as_str(), value))
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Json> {
        self.entries.iter().map(|(_, value)| value)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Json {
    /// Parses `text`, rejecting duplicate keys and anything over `limits` (size, depth,
    /// entries), with JSON-pointer locations in errors.
    pub(crate) fn parse(text: &str, limits: &Limits) -> Result<Json, SnapshotError> {
        if text.len() > limits.max_snapshot_bytes {
            let message = format!(
                "the snapshot is {} bytes, over the limit of {} bytes",
                text.len(),
                limits.max_snapshot_bytes
            );
            return Err(SnapshotError::at(
                ErrorCode::TooLarge,
                String::new(),
                message,
            ));
        }
        let failure = RefCell::new(None);
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let seed = JsonSeed {
            path: &Path::Root,
            failure: &failure,
            depth: 1,
            limits,
        };
        let result = seed.deserialize(&mut deserializer).and_then(|value| {
            deserializer.end()?;
            Ok(value)
        });
        match result {
            Ok(value) => Ok(value),
            Err(error) => {
                if let Some(recorded) = failure.into_inner() {
                    return Err(recorded);
                }
                let (code, message) = if error.to_string().starts_with("recursion limit exceeded") {
                    (
                        ErrorCode::TooDeep,
                        "the document is nested too deeply".to_owned(),
                    )
                } else {
                    (ErrorCode::JsonSyntax, syntax_message(&error))
                };
                let column = char_column(text, error.line(), error.column());
                Err(SnapshotError::at(code, String::new(), message)
                    .with_position(error.line().max(1), column))
            }
        }
    }

    /// The name of this value's type, for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    pub(crate) fn as_object(&self) -> Option<&JsonObject> {
        match self {
            Json::Object(map) => Some(map),
            _ => None,
        }
    }
}

/// A message for a `serde_json` error that repeats no input text.
fn syntax_message(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Eof => "unexpected end of input".to_owned(),
        Category::Syntax | Category::Io | Category::Data => {
            // serde_json's syntax messages are fixed phrases ("expected `,` or `}`",
            // "trailing characters", "invalid escape"); none quotes the input.
            let text = error.to_string();
            let phrase = text.split(" at line ").next().unwrap_or("invalid JSON");
            format!("invalid JSON: {phrase}")
        }
    }
}

impl fmt::Debug for Json {
    /// Shows the shape only: `{"individual": {"fullSsn": <string>}}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(_) => f.write_str("<boolean>"),
            Json::Number(_) => f.write_str("<number>"),
            Json::String(_) => f.write_str("<string>"),
            Json::Array(items) => f.debug_list().entries(items).finish(),
            Json::Object(map) => f.debug_map().entries(map.iter()).finish(),
        }
    }
}

/// The 1-based column in characters of `serde_json`'s 1-based byte column `column` on line
/// `line` of `text` (they differ on lines with multi-byte characters).
fn char_column(text: &str, line: usize, column: usize) -> usize {
    let Some(line_text) = text.split('\n').nth(line.saturating_sub(1)) else {
        return column.max(1);
    };
    let mut end = column.min(line_text.len());
    // A column inside a multi-byte character points at that character.
    let inside = !line_text.is_char_boundary(end);
    while !line_text.is_char_boundary(end) {
        end -= 1;
    }
    (line_text.get(..end).map_or(0, |s| s.chars().count()) + usize::from(inside)).max(1)
}

/// `text` (a key or a JSON pointer) as it may appear in a one-line message: control
/// characters (a newline in a key, say) are escaped (`\n`, `\u{1b}`).
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Where `pointer` is, for a message: the pointer made printable, or "the document root".
pub(crate) fn place(pointer: &str) -> std::borrow::Cow<'_, str> {
    if pointer.is_empty() {
        std::borrow::Cow::Borrowed("the document root")
    } else {
        printable(pointer)
    }
}

/// A JSON pointer under construction, kept on the stack while parsing.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    /// Renders the pointer (RFC 6901, with `~` and `/` escaped).
    pub(crate) fn render(&self) -> String {
        let mut segments = Vec::new();
        let mut cursor = self;
        loop {
            match cursor {
                Path::Root => break,
                Path::Key(parent, key) => {
                    segments.push(key.replace('~', "~0").replace('/', "~1"));
                    cursor = parent;
                }
                Path::Index(parent, idx) => {
                    segments.push(idx.to_string());
                    cursor = parent;
                }
            }
        }
        let mut out = String::new();
        for segment in segments.iter().rev() {
            out.push('/');
            out.push_str(segment);
        }
        out
    }
}

struct JsonSeed<'p, 'f> {
    path: &'p Path<'p>,
    failure: &'f RefCell<Option<SnapshotError>>,
    /// The nesting level of the value (the document is 1).
    depth: usize,
    limits: &'f Limits,
}

impl JsonSeed<'_, '_> {
    /// Records a limit exceeded at this value, and the error that stops the parser.
    #[cold]
    fn over_limit<E: de::Error>(&self, code: ErrorCode, message: &str) -> E {
        let pointer = self.path.render();
        let message = format!("{message} at {}", place(&pointer));
        *self.failure.borrow_mut() = Some(SnapshotError::at(code, pointer, message));
        E::custom("limit exceeded")
    }

    fn enter<E: de::Error>(&self) -> Result<(), E> {
        if self.depth > self.limits.max_depth {
            let message = format!(
                "the document is nested more than {} levels deep",
                self.limits.max_depth
            );
            return Err(self.over_limit(ErrorCode::TooDeep, &message));
        }
        Ok(())
    }

    fn count<E: de::Error>(&self, entries: usize) -> Result<(), E> {
        if entries > self.limits.max_items {
            let message = format!(
                "more than {} entries in one array or object",
                self.limits.max_items
            );
            return Err(self.over_limit(ErrorCode::TooManyItems, &message));
        }
        Ok(())
    }

    fn child<'c>(&'c self, path: &'c Path<'c>) -> JsonSeed<'c, 'c> {
        JsonSeed {
            path,
            failure: self.failure,
            depth: self.depth + 1,
            limits: self.limits,
        }
    }
}

impl<'de> DeserializeSeed<'de> for JsonSeed<'_, '_> {
    type Value = Json;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonSeed<'_, '_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Json, E> {
        Ok(Json::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Json, E> {
        #[expect(
            clippy::cast_precision_loss,
            reason = "numbers are only ever type-checked"
        )]
        Ok(Json::Number(value as f64))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Json, E> {
        #[expect(
            clippy::cast_precision_loss,
            reason = "numbers are only ever type-checked"
        )]
        Ok(Json::Number(value as f64))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Json, E> {
        Ok(Json::Number(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Json, E> {
        Ok(Json::String(Text::from(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        self.enter()?;
        let mut items = Vec::new();
        loop {
            let path = Path::Index(self.path, items.len());
            match seq.next_element_seed(self.child(&path))? {
                Some(item) => {
                    items.push(item);
                    self.count(items.len())?;
                }
                None => return Ok(Json::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        self.enter()?;
        let mut entries: Vec<(Text, Json)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let path = Path::Key(self.path, &key);
            let value = map.next_value_seed(self.child(&path))?;
            entries.push((key, value));
            self.count(entries.len())?;
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let duplicate = entries.windows(2).find_map(|pair| match pair {
            [(a, _), (b, _)] if a == b => Some(a.as_str()),
            _ => None,
        });
        if let Some(key) = duplicate {
            let pointer = Path::Key(self.path, key).render();
            let message = format!("duplicate key at {}", printable(&pointer));
            *self.failure.borrow_mut() =
                Some(SnapshotError::at(ErrorCode::DuplicateKey, pointer, message));
            return Err(de::Error::custom("duplicate key"));
        }
        Ok(Json::Object(JsonObject { entries }))
    }
}

/// An object key, inline when short.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Text;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Text, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, value: &str) -> Result<Text, E> {
        Ok(Text::from(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_duplicate_keys_with_their_path() {
        let text = r#"{"capabilities": {"custodyFiat": {"requested": false, "requested": true}}}"#;
        let err = Json::parse(text, &Limits::DEFAULT).unwrap_err();
        assert_eq!(err.code(), ErrorCode::DuplicateKey);
        assert_eq!(err.path(), "/capabilities/custodyFiat/requested");
    }

    #[test]
    fn escapes_pointer_segments() {
        let err = Json::parse(r#"{"a/b": [{"~": 1, "~": 2}]}"#, &Limits::DEFAULT).unwrap_err();
        assert_eq!(err.path(), "/a~1b/0/~0");
    }

    #[test]
    fn syntax_errors_have_positions_and_no_input() {
        let err =
            Json::parse("{\n  \"fullSsn\": \"123-45-6789\" oops}", &Limits::DEFAULT).unwrap_err();
        assert_eq!(err.code(), ErrorCode::JsonSyntax);
        assert_eq!((err.line(), err.column()), (Some(2), Some(28)));
        assert!(!err.message().contains("oops"), "{}", err.message());
        let err = Json::parse("{\"a\": ", &Limits::DEFAULT).unwrap_err();
        assert_eq!(err.message(), "unexpected end of input");
    }

    #[test]
    fn syntax_error_columns_count_characters() {
        let err = Json::parse("{\"a\":\"\u{e9}\u{e9}\u{e9}\",x}", &Limits::DEFAULT).unwrap_err();
        assert_eq!((err.line(), err.column()), (Some(1), Some(12)));
        let err = Json::parse("{}\u{feff}", &Limits::DEFAULT).unwrap_err();
        assert_eq!((err.line(), err.column()), (Some(1), Some(3)));
        let err = Json::parse("{\n\"\u{e9}\": ]}", &Limits::DEFAULT).unwrap_err();
        assert_eq!((err.line(), err.column()), (Some(2), Some(6)));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let err = Json::parse(&text, &Limits::DEFAULT).unwrap_err();
        assert_eq!(err.code(), ErrorCode::TooDeep);
    }

    #[test]
    fn debug_shows_shape_only() {
        let value = Json::parse(
            r#"{"ssn": "123-45-6789", "n": 42, "ok": true}"#,
            &Limits::DEFAULT,
        )
        .unwrap();
        assert_eq!(
            format!("{value:?}"),
            r#"{"n": <number>, "ok": <boolean>, "ssn": <string>}"#
        );
    }
}
