//! `--fuzz N`: the agreement check on N mutated snapshots, beyond the corpus.
//!
//! Each snapshot is a corpus snapshot with a few random edits (a field blanked, removed or
//! given an invalid value, a date part changed, a capability status or request flipped, a
//! provider requirement added with some status and deadline, an acceptance moved after `at`,
//! ...). Snapshots capgate rejects as malformed are skipped: the peers do not validate input.
//! Deterministic: the same N gives the same snapshots.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::{Value, json};

use crate::corpus::Case;
use crate::peers::{Answer, Peer};

/// A xorshift generator: enough randomness for mutations, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    #[allow(
        clippy::cast_possible_truncation,
        reason = "the result is below n, a usize"
    )]
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const STRING_FIELDS: &[&[&str]] = &[
    &["individual", "firstName"],
    &["individual", "lastName"],
    &["individual", "fullSsn"],
    &["individual", "ssnLast4"],
    &["individual", "email"],
    &["individual", "phoneNumber"],
    &["individual", "citizenship"],
    &["individual", "purposeOfAccount"],
    &["individual", "sourceOfFunds"],
    &["individual", "employmentStatus"],
    &["individual", "occupation"],
    &["individual", "expectedVolume"],
    &["individual", "address", "line1"],
    &["individual", "address", "line2"],
    &["individual", "address", "city"],
    &["individual", "address", "state"],
    &["individual", "address", "postCode"],
    &["individual", "address", "countryCode"],
    &["email"],
    &["phone"],
];
const STRINGS: &[&str] = &[
    "",
    " ",
    "\t \n",
    "\u{a0}",
    "\u{2003}x",
    "Jane",
    "US",
    "GB",
    "ca",
    "MA",
    "123-45-6789",
    "***-**-6789",
    "123456789",
    "1234",
    "+16175550142",
    "16175550142",
    "+0123",
    "jane@example.com",
    "jane doe@example.com",
    "a@b",
    "é@x.io",
    "investing",
    "savings",
    "salary",
    "employed_fulltime",
    "technology",
    "10k_to_100k",
    "1k-10k",
    "other",
];
const DATE_PARTS: &[&str] = &[
    "1", "7", "07", "0", "00", "12", "13", "22", "23", "29", "30", "31", "32", "02", "2", "1988",
    "2000", "1900", "2024", "2023", "2026", "2027", "99", "19a8", "+1", "",
];
const CAPABILITIES: &[&str] = &[
    "custodyCrypto",
    "custodyFiat",
    "custodyStablecoin",
    "tradeCrypto",
    "tradeStablecoin",
    "transferCrypto",
    "transferFiat",
    "transferStablecoin",
    "stakeCrypto",
];
const CAPABILITY_STATUSES: &[Option<&str>] = &[
    None,
    Some("active"),
    Some("active"),
    Some("pending"),
    Some("inactive"),
    Some("unrequested"),
    Some("suspended"),
];
const REQUIREMENT_KEYS: &[&str] = &[
    "firstName",
    "fullSsn",
    "dateOfBirth",
    "tos",
    "taxAttestation",
    "occupation",
    "ssnLast4",
    "proofOfAddress",
    "addressLine2",
];
const REQUIREMENT_STATUSES: &[&str] = &[
    "due",
    "due",
    "past_due",
    "overdue",
    "pending",
    "rejected",
    "eventually_due",
    "in_review",
];
/// Instants around the corpus's evaluation times.
const TIMES: &[&str] = &[
    "2026-01-10T15:00:00Z",
    "2026-04-17T20:00:00Z",
    "2026-06-30T23:59:59Z",
    "2026-10-15T12:00:00Z",
    "2026-11-01T00:00:00Z",
    "2026-11-22T11:59:59Z",
    "2026-11-22T12:00:00Z",
    "2026-11-22T12:00:01Z",
    "2026-12-31T23:59:59Z",
];

/// Mutates `snapshot` in place with `edits` random edits.
fn mutate(rng: &mut Rng, snapshot: &mut Value, edits: usize) {
    for _ in 0..edits {
        match rng.below(9) {
            0 | 1 => {
                let path = *rng.pick(STRING_FIELDS);
                let value = match rng.below(6) {
                    0 => Value::Null,
                    1 => {
                        remove(snapshot, path);
                        continue;
                    }
                    _ => Value::from(*rng.pick(STRINGS)),
                };
                set(snapshot, path, value);
            }
            2 => {
                let part = *rng.pick(&["day", "month", "year"]);
                let value = match rng.below(5) {
                    0 => Value::Null,
                    _ => Value::from(*rng.pick(DATE_PARTS)),
                };
                set(snapshot, &["individual", "dateOfBirth", part], value);
                if rng.below(8) == 0 {
                    set(snapshot, &["individual", "dateOfBirth"], json!({}));
                }
            }
            3 | 4 => {
                let name = *rng.pick(CAPABILITIES);
                let mut entry = json!({"requested": rng.below(4) != 0});
                if let Some(status) = rng.pick(CAPABILITY_STATUSES) {
                    entry["status"] = Value::from(*status);
                }
                set(snapshot, &["capabilities", name], entry);
            }
            5 => {
                if rng.below(3) == 0 {
                    set(snapshot, &["requirements"], json!({}));
                }
                let key = *rng.pick(REQUIREMENT_KEYS);
                let mut entry = json!({"status": *rng.pick(REQUIREMENT_STATUSES)});
                if rng.below(2) == 0 {
                    entry["deadline"] = Value::from(*rng.pick(TIMES));
                }
                let impact: Vec<&str> =
                    (0..rng.below(3)).map(|_| *rng.pick(CAPABILITIES)).collect();
                if rng.below(4) != 0 {
                    entry["impact"] = json!(impact);
                }
                if key == "tos" && rng.below(2) == 0 {
                    let versions: Vec<Value> = (0..=rng.below(2))
                        .map(|i| {
                            let mut version =
                                json!({"versionId": format!("v{i}"), "languages": ["en"]});
                            if rng.below(3) != 0 {
                                version["deadline"] = Value::from(*rng.pick(TIMES));
                            }
                            version
                        })
                        .collect();
                    entry["tosVersions"] = Value::Array(versions);
                }
                set(snapshot, &["requirements", key], entry);
            }
            6 => match rng.below(4) {
                0 => remove(snapshot, &["requirements"]),
                _ => set(snapshot, &["requirements"], json!({})),
            },
            7 => {
                let version = *rng.pick(&["us_individual_2026-05-29", "us_individual_2026-01-15"]);
                let language = *rng.pick(&["en", "en", "fr"]);
                let entry = json!({"versionId": version, "language": language, "acceptedAt": *rng.pick(TIMES)});
                let list = if rng.below(3) == 0 {
                    json!([])
                } else {
                    json!([entry])
                };
                set(snapshot, &["tosAcceptances"], list);
            }
            _ => {
                let form = *rng.pick(&["us_w9", "us_w9", "us_w8"]);
                let entry = json!({"form": form, "acceptedAt": *rng.pick(TIMES)});
                let list = if rng.below(3) == 0 {
                    json!([])
                } else {
                    json!([entry])
                };
                set(snapshot, &["taxAttestations"], list);
            }
        }
    }
}

fn set(snapshot: &mut Value, path: &[&str], value: Value) {
    let mut cursor = snapshot;
    for (i, key) in path.iter().enumerate() {
        if !cursor.is_object() {
            *cursor = json!({});
        }
        let map = cursor
            .as_object_mut()
            .unwrap_or_else(|| unreachable!("just made an object"));
        if i + 1 == path.len() {
            map.insert((*key).to_owned(), value);
            return;
        }
        cursor = map.entry(*key).or_insert_with(|| json!({}));
    }
}

fn remove(snapshot: &mut Value, path: &[&str]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cursor = snapshot;
    for key in parents {
        match cursor.get_mut(*key) {
            Some(next) => cursor = next,
            None => return,
        }
    }
    if let Some(map) = cursor.as_object_mut() {
        map.remove(*last);
    }
}

/// The mutated snapshots capgate accepts.
pub fn cases(corpus: &[Case], count: usize) -> Vec<Case> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    let mut attempt = 0;
    while out.len() < count && attempt < count * 4 {
        let base = &corpus[attempt % corpus.len()];
        attempt += 1;
        let mut snapshot = base.snapshot.clone();
        let edits = 1 + rng.below(4);
        mutate(&mut rng, &mut snapshot, edits);
        let text = snapshot.to_string();
        if capgate::Snapshot::from_json(&text).is_err() {
            continue;
        }
        out.push(Case {
            name: format!("fuzz-{}-{}", out.len(), base.name),
            at: base.at.clone(),
            text,
            snapshot,
        });
    }
    out
}

/// `P`'s answer on every case, by name.
pub fn answers<P: Peer>(
    root: &std::path::Path,
    cases: &[Case],
) -> Result<BTreeMap<String, Answer>> {
    let peer = P::load(&P::read(root)?)?;
    cases
        .iter()
        .map(|case| {
            let input = peer.prepare(case)?;
            let answer = peer.answer(peer.evaluate(&input)?)?;
            Ok((case.name.clone(), answer))
        })
        .collect()
}
