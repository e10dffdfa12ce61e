//! Rule patterns (`kind = "pattern"`): one syntax and one meaning, two matchers.
//!
//! `regex-lite` defines what a pattern means (its syntax, ASCII-only `\d \w \s \b` and case
//! folding, `.` matching a character) and is the only matcher of the WASM build, where code
//! size matters. With the `fast-regex` feature (on by default) a pattern is also compiled
//! with `regex` in non-Unicode mode, whose meaning is the same for every pattern it accepts,
//! and matches 10-30x faster. Patterns it does not accept, or whose meaning could differ (an
//! explicit `u` flag, a no-op for `regex-lite`), stay with `regex-lite`. A property test
//! holds the two to the same answers.

/// The compiled form of a pattern's regular expressions are limited to this many bytes.
const SIZE_LIMIT: usize = 1 << 20;

/// A compiled rule pattern.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    lite: regex_lite::Regex,
    /// Compiled on first use: compiling every pattern twice would double the cost of loading
    /// rules (which the WASM build does on page load), and many rule sets never match some.
    #[cfg(feature = "fast-regex")]
    fast: std::sync::OnceLock<Option<regex::Regex>>,
}

impl Pattern {
    /// Compiles `pattern`; the error is `regex-lite`'s message.
    pub(crate) fn new(pattern: &str) -> Result<Pattern, String> {
        let lite = regex_lite::RegexBuilder::new(pattern)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|err| err.to_string())?;
        Ok(Pattern {
            lite,
            #[cfg(feature = "fast-regex")]
            fast: std::sync::OnceLock::new(),
        })
    }

    /// Whether the pattern matches somewhere in `text`.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        #[cfg(feature = "fast-regex")]
        if let Some(fast) = self.fast() {
            return fast.is_match(text);
        }
        self.lite.is_match(text)
    }

    /// The `regex` matcher, when it has the same meaning (compiled on first use).
    #[cfg(feature = "fast-regex")]
    fn fast(&self) -> Option<&regex::Regex> {
        self.fast.get_or_init(|| fast(self.lite.as_str())).as_ref()
    }

    /// The pattern as written.
    pub(crate) fn as_str(&self) -> &str {
        self.lite.as_str()
    }
}

/// The `regex` matcher for `pattern`, when its meaning is `regex-lite`'s.
#[cfg(feature = "fast-regex")]
fn fast(pattern: &str) -> Option<regex::Regex> {
    if has_unicode_flag(pattern) {
        return None;
    }
    regex::RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(SIZE_LIMIT)
        .build()
        .ok()
}

/// Whether a flag group (`(?u)`, `(?iu:...)`, ...) could turn Unicode mode on. Conservative:
/// any `(?` followed by flags containing `u` counts, escaped or not.
#[cfg(feature = "fast-regex")]
fn has_unicode_flag(pattern: &str) -> bool {
    pattern.match_indices("(?").any(|(idx, _)| {
        pattern
            .get(idx + 2..)
            .unwrap_or("")
            .chars()
            .take_while(|c| *c != ')' && *c != ':')
            .any(|c| c == 'u')
    })
}

#[cfg(all(test, feature = "fast-regex"))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn unicode_flags_stay_with_regex_lite() {
        for pattern in [r"(?u)^\w$", r"(?u:\d)", r"(?iu)x", r"(?-u)x"] {
            assert!(Pattern::new(pattern).unwrap().fast().is_none(), "{pattern}");
        }
        assert!(!Pattern::new(r"(?u)^\w$").unwrap().is_match("é"));
        assert!(!Pattern::new(r"(?u:\d)").unwrap().is_match("٣"));
        // Patterns `regex` rejects in non-Unicode mode (they could match invalid UTF-8).
        for pattern in [r"^.$", r"^[^a]$", r"^\S$", r"^[é]$"] {
            let compiled = Pattern::new(pattern).unwrap();
            assert!(compiled.fast().is_none(), "{pattern}");
            assert!(compiled.is_match("é"), "{pattern}");
        }
    }

    #[test]
    fn the_default_rules_patterns_take_the_fast_path() {
        for pattern in [
            r"^([0-9]{3}-[0-9]{2}-[0-9]{4}|\*\*\*-\*\*-[0-9]{4})$",
            r"^[A-Z]{2}$",
            r"^\+[1-9][0-9]{1,14}$",
            r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}/-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*$",
        ] {
            assert!(Pattern::new(pattern).unwrap().fast().is_some(), "{pattern}");
        }
    }

    /// Pattern pieces covering classes, Perl classes, anchors, flags, repetition,
    /// alternation and non-ASCII literals.
    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "a", "K", "é", "٣", "0", "-", ".", r"\.", r"\d", r"\D", r"\w", r"\W", r"\s", r"\S",
            r"\b", r"\B", "[a-z]", "[A-Z0-9]", "[^a]", "[é-ë]", "^", "$", "(?i)", "(?i:k)", "(?m)",
            "(?s)", "(?x) a", "(?u)", "(?-u)", "x*", "x+?", "y{2,3}", "(a|é)", "(?:b|)", "*", "[",
            ")", r"\p{L}", r"\x41", r"\u{E9}", "\n", " ",
        ])
    }

    fn subject() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                "a", "A", "k", "K", "\u{212A}", "é", "É", "٣", "0", "9", "-", ".", "x", "yy", "b",
                "_", " ", "\n", "\u{00A0}", "ë",
            ]),
            0..8,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: ProptestConfig::default().cases.max(2048),
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5EED_0005),
            ..ProptestConfig::default()
        })]

        /// Both matchers give the same answer on every pattern both accept.
        #[test]
        fn fast_and_lite_agree(parts in prop::collection::vec(piece(), 1..6), texts in prop::collection::vec(subject(), 1..6)) {
            let pattern = parts.concat();
            if let Ok(compiled) = Pattern::new(&pattern) {
                for text in &texts {
                    prop_assert_eq!(compiled.is_match(text), compiled.lite.is_match(text), "{:?} on {:?}", pattern, text);
                }
            }
        }
    }
}
