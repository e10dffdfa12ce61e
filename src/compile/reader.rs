//! Reads spanned TOML tables key by key, collecting every problem instead of stopping at the
//! first: wrong types, missing keys and, when a table is finished, unknown keys.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use std::cell::OnceCell;

use crate::error::{ErrorCode, LineIndex, LoadError};

/// One source being compiled, and the problems found in it so far.
pub(crate) struct Ctx<'s> {
    pub(crate) source_name: &'s str,
    pub(crate) text: &'s str,
    pub(crate) errors: Vec<LoadError>,
    /// Built on the first error.
    pub(crate) lines: OnceCell<LineIndex<'s>>,
}

impl<'s> Ctx<'s> {
    pub(crate) fn new(source_name: &'s str, text: &'s str) -> Ctx<'s> {
        Ctx {
            source_name,
            text,
            errors: Vec::new(),
            lines: OnceCell::new(),
        }
    }

    pub(crate) fn lines(&self) -> &LineIndex<'s> {
        self.lines.get_or_init(|| LineIndex::new(self.text))
    }

    #[cold]
    pub(crate) fn error(&mut self, code: ErrorCode, message: String, span: Range<usize>) {
        let error = LoadError::new(code, message, self.source_name, self.lines(), span);
        self.errors.push(error);
    }

    #[cold]
    pub(crate) fn error_with_help(
        &mut self,
        code: ErrorCode,
        message: String,
        span: Range<usize>,
        help: String,
    ) {
        let error =
            LoadError::new(code, message, self.source_name, self.lines(), span).with_help(help);
        self.errors.push(error);
    }
}

/// A string with the byte span it came from.
pub(crate) type SpannedString = Spanned<String>;

/// A table being read. Keys that are never asked for are reported by [`TableReader::finish`].
pub(crate) struct TableReader<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    what: String,
    asked: Vec<&'static str>,
}

impl<'a, 'i> TableReader<'a, 'i> {
    /// `what` names the table in messages, e.g. ``capability `tradeCrypto` ``.
    pub(crate) fn new(table: &'a DeTable<'i>, span: Range<usize>, what: String) -> Self {
        TableReader {
            table,
            span,
            what,
            asked: Vec::new(),
        }
    }

    /// Reads `value` as a table, or reports a type error.
    pub(crate) fn from_value(
        ctx: &mut Ctx<'_>,
        value: &'a Spanned<DeValue<'i>>,
        what: String,
    ) -> Option<Self> {
        match value.get_ref() {
            DeValue::Table(table) => Some(TableReader::new(table, value.span(), what)),
            other => {
                ctx.error(
                    ErrorCode::WrongType,
                    format!("{what} must be a table, found {}", type_name(other)),
                    value.span(),
                );
                None
            }
        }
    }

    /// Whether `key` is present (without marking it known).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.table.get(key).is_some()
    }

    /// Marks keys as known without reading them (after an error that makes them moot).
    pub(crate) fn skip(&mut self, keys: &[&'static str]) {
        self.asked.extend_from_slice(keys);
    }

    pub(crate) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    pub(crate) fn what(&self) -> &str {
        &self.what
    }

    /// The raw value under `key`, marking the key as known.
    pub(crate) fn raw(&mut self, key: &'static str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.asked.push(key);
        self.table.get(key)
    }

    /// Entries of this table, for tables keyed by user ids.
    pub(crate) fn entries(
        &self,
    ) -> impl Iterator<
        Item = (
            &'a Spanned<std::borrow::Cow<'i, str>>,
            &'a Spanned<DeValue<'i>>,
        ),
    > {
        self.table.iter()
    }

    #[cold]
    fn wrong_type(
        &self,
        ctx: &mut Ctx<'_>,
        key: &str,
        expected: &str,
        value: &Spanned<DeValue<'_>>,
    ) {
        ctx.error(
            ErrorCode::WrongType,
            format!(
                "`{key}` in {} must be {expected}, found {}",
                self.what,
                type_name(value.get_ref())
            ),
            value.span(),
        );
    }

    #[cold]
    pub(crate) fn missing(&self, ctx: &mut Ctx<'_>, key: &str) {
        ctx.error(
            ErrorCode::MissingKey,
            format!("missing key `{key}` in {}", self.what),
            self.span.clone(),
        );
    }

    pub(crate) fn string(&mut self, ctx: &mut Ctx<'_>, key: &'static str) -> Option<SpannedString> {
        let value = self.raw(key)?;
        if let DeValue::String(text) = value.get_ref() {
            Some(Spanned::new(value.span(), text.to_string()))
        } else {
            self.wrong_type(ctx, key, "a string", value);
            None
        }
    }

    pub(crate) fn required_string(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &'static str,
    ) -> Option<SpannedString> {
        if self.table.get(key).is_none() {
            self.asked.push(key);
            self.missing(ctx, key);
            return None;
        }
        self.string(ctx, key)
    }

    pub(crate) fn bool(&mut self, ctx: &mut Ctx<'_>, key: &'static str) -> Option<bool> {
        let value = self.raw(key)?;
        if let DeValue::Boolean(flag) = value.get_ref() {
            Some(*flag)
        } else {
            self.wrong_type(ctx, key, "a boolean", value);
            None
        }
    }

    /// A non-negative integer that fits in `usize`.
    pub(crate) fn count(&mut self, ctx: &mut Ctx<'_>, key: &'static str) -> Option<Spanned<usize>> {
        let value = self.raw(key)?;
        if let DeValue::Integer(integer) = value.get_ref() {
            let parsed = if integer.radix() == 10 {
                integer.as_str().replace('_', "").parse::<usize>().ok()
            } else {
                usize::from_str_radix(&integer.as_str().replace('_', ""), integer.radix()).ok()
            };
            if let Some(number) = parsed {
                return Some(Spanned::new(value.span(), number));
            }
            ctx.error(
                ErrorCode::InvalidValue,
                format!("`{key}` in {} must be a non-negative integer", self.what),
                value.span(),
            );
            return None;
        }
        self.wrong_type(ctx, key, "a non-negative integer", value);
        None
    }

    /// A list of strings; `accept_single` also takes a lone string as a list of one.
    pub(crate) fn string_list(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &'static str,
        accept_single: bool,
    ) -> Option<Vec<SpannedString>> {
        let value = self.raw(key)?;
        match value.get_ref() {
            DeValue::String(text) if accept_single => {
                Some(vec![Spanned::new(value.span(), text.to_string())])
            }
            DeValue::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item.get_ref() {
                        DeValue::String(text) => {
                            out.push(Spanned::new(item.span(), text.to_string()));
                        }
                        other => ctx.error(
                            ErrorCode::WrongType,
                            format!(
                                "items of `{key}` in {} must be strings, found {}",
                                self.what,
                                type_name(other)
                            ),
                            item.span(),
                        ),
                    }
                }
                Some(out)
            }
            _ => {
                let expected = if accept_single {
                    "a string or an array of strings"
                } else {
                    "an array of strings"
                };
                self.wrong_type(ctx, key, expected, value);
                None
            }
        }
    }

    /// A table of tables keyed by id (e.g. `[requirements.firstName]`).
    pub(crate) fn table(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &'static str,
        what: String,
    ) -> Option<TableReader<'a, 'i>> {
        let value = self.raw(key)?;
        TableReader::from_value(ctx, value, what)
    }

    /// An array of tables (`[[x.checks]]` or `checks = [{...}]`).
    pub(crate) fn tables(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &'static str,
        item_what: &dyn Fn(usize) -> String,
    ) -> Option<Vec<TableReader<'a, 'i>>> {
        let value = self.raw(key)?;
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(ctx, key, "an array of tables", value);
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for (idx, item) in items.iter().enumerate() {
            if let Some(reader) = TableReader::from_value(ctx, item, item_what(idx)) {
                out.push(reader);
            }
        }
        Some(out)
    }

    /// Reports every key that was never asked for.
    pub(crate) fn finish(self, ctx: &mut Ctx<'_>) {
        for (key, _) in self.table {
            let name: &str = key.get_ref();
            if self.asked.contains(&name) {
                continue;
            }
            let message = format!("unknown key `{name}` in {}", self.what);
            if let Some(suggestion) = closest(name, &self.asked) {
                ctx.error_with_help(
                    ErrorCode::UnknownKey,
                    message,
                    key.span(),
                    format!("did you mean `{suggestion}`?"),
                );
            } else {
                // Sorted and unique by insertion: a handful of keys.
                let mut allowed: Vec<&str> = Vec::with_capacity(self.asked.len());
                for key in &self.asked {
                    if let Err(idx) = allowed.binary_search(key) {
                        allowed.insert(idx, key);
                    }
                }
                let list = allowed
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                ctx.error_with_help(
                    ErrorCode::UnknownKey,
                    message,
                    key.span(),
                    format!("allowed keys: {list}"),
                );
            }
        }
    }
}

/// The TOML type of a value, for messages.
pub(crate) fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// The candidate within edit distance 2 of `name`, if any (for "did you mean").
pub(crate) fn closest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b_chars.len() + 1);
        current.push(i + 1);
        for (j, b_char) in b_chars.iter().enumerate() {
            let substitution = previous
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(usize::from(a_char != *b_char));
            let insertion = current
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let deletion = previous
                .get(j + 1)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            current.push(substitution.min(insertion).min(deletion));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys() {
        assert_eq!(
            closest("requirments", &["requirements", "groups"]),
            Some("requirements")
        );
        assert_eq!(closest("zzz", &["requirements", "groups"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
