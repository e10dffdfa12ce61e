//! Criterion benchmarks of the engine (`cargo bench --bench engine`); see BENCHMARKS.md.
//!
//! - `load`: compiling and validating the default rules;
//! - `evaluate`: [`RuleSet::evaluate`] on an already parsed snapshot (the owned result);
//! - `evaluate_ref`: [`RuleSet::evaluate_ref`], the same evaluation borrowed, not
//!   materialized, and one question asked of it (is `custodyFiat` allowed);
//! - `parse`: [`Snapshot::from_json`];
//! - `end_to_end`: JSON bytes in, evaluation JSON out (compact, as `eval --ndjson` prints;
//!   pretty, as `eval` prints), next to `floor`: `serde_json` parsing the same bytes into a
//!   typed, borrowing struct holding every field the default rules read; and `write_only`,
//!   the cost of writing the compact evaluation JSON alone (from an evaluated snapshot);
//! - `check`: one operation's decision on a parsed snapshot, and from bytes.

#![expect(
    missing_docs,
    clippy::unwrap_used,
    clippy::result_large_err,
    reason = "criterion's macros generate undocumented items; fixtures are known to be valid"
)]

use std::collections::BTreeMap;
use std::hint::black_box;

use capgate::{BUILTIN_RULES, BUILTIN_RULES_NAME, RuleSet, Snapshot, Timestamp, wire};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;

const AT: &str = "2026-11-22T12:00:00Z";

/// The three snapshots: a customer's draft, a provider snapshot, a heavily incomplete one.
fn fixtures() -> [(&'static str, &'static str); 3] {
    [
        ("draft", include_str!("../examples/draft.json")),
        ("provider", include_str!("../examples/provider.json")),
        ("incomplete", include_str!("data/incomplete.json")),
    ]
}

fn load(c: &mut Criterion) {
    c.bench_function("load/default_rules", |b| {
        b.iter(|| RuleSet::from_toml(BUILTIN_RULES_NAME, black_box(BUILTIN_RULES)).unwrap());
    });
}

fn evaluate(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    let at = Timestamp::parse(AT).unwrap();
    let mut group = c.benchmark_group("evaluate");
    for (name, text) in fixtures() {
        let snapshot = Snapshot::from_json(text).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(name), &snapshot, |b, s| {
            b.iter(|| rules.evaluate(black_box(s), at));
        });
    }
    group.finish();
    let mut group = c.benchmark_group("evaluate_ref");
    for (name, text) in fixtures() {
        let snapshot = Snapshot::from_json(text).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(name), &snapshot, |b, s| {
            b.iter(|| {
                rules
                    .evaluate_ref(black_box(s), at)
                    .is_allowed("custodyFiat")
            });
        });
    }
    group.finish();
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (name, text) in fixtures() {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, t| {
            b.iter(|| Snapshot::from_json(black_box(t)).unwrap());
        });
    }
    group.finish();
}

// The floor: what serde_json costs to read the same bytes into a typed snapshot that borrows
// its strings, with every field the default rules read (unknown fields skipped).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "fields are read only by the deserializer")]
struct FloorCustomer<'a> {
    #[serde(borrow)]
    customer_id: Option<&'a str>,
    #[serde(borrow)]
    individual: Option<FloorIndividual<'a>>,
    #[serde(borrow, default)]
    capabilities: BTreeMap<&'a str, FloorCapability<'a>>,
    #[serde(borrow)]
    requirements: Option<BTreeMap<&'a str, FloorRequirement<'a>>>,
    #[serde(borrow, default)]
    tos_acceptances: Vec<FloorTos<'a>>,
    #[serde(borrow, default)]
    tax_attestations: Vec<FloorAttestation<'a>>,
    #[serde(borrow)]
    compliance: Option<FloorCompliance<'a>>,
    #[serde(borrow)]
    email: Option<&'a str>,
    #[serde(borrow)]
    phone: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "fields are read only by the deserializer")]
struct FloorIndividual<'a> {
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    date_of_birth: Option<FloorDate<'a>>,
    full_ssn: Option<&'a str>,
    ssn_last4: Option<&'a str>,
    #[serde(borrow)]
    address: Option<FloorAddress<'a>>,
    email: Option<&'a str>,
    phone_number: Option<&'a str>,
    citizenship: Option<&'a str>,
    purpose_of_account: Option<&'a str>,
    source_of_funds: Option<&'a str>,
    employment_status: Option<&'a str>,
    occupation: Option<&'a str>,
    expected_volume: Option<&'a str>,
}

#[derive(Deserialize)]
#[expect(dead_code, reason = "fields are read only by the deserializer")]
struct FloorDate<'a> {
    day: Option<&'a str>,
    month: Option<&'a str>,
    year: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "fields are read only by the deserializer")]
struct FloorAddress<'a> {
    line1: Option<&'a str>,
    line2: Option<&'a str>,
    city: Option<&'a str>,
    state: Option<&'a str>,
    post_code: Option<&'a str>,
    country_code: Option<&'a str>,
}

#[derive(Deserialize)]
#[expect(dead_code, reason = "fields are read only by the deserializer")]
struct FloorCapability<'a> {
    requested: Option<bool>,
    status: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "fields are read only by the deserializer")]
struct FloorRequirement<'a> {
    status: Option<&'a str>,
    deadline: Option<&'a str>,
    #[serde(borrow, default)]
    impact: Vec<&'a str>,
    #[serde(borrow, default)]
    tos_versions: Vec<FloorTosVersion<'a>>,
    #[serde(borrow, default)]
    tax_forms: Vec<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "fields are read only by the deserializer")]
struct FloorTosVersion<'a> {
    version_id: Option<&'a str>,
    #[serde(borrow, default)]
    languages: Vec<&'a str>,
    url: Option<&'a str>,
    deadline: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "fields are read only by the deserializer")]
struct FloorTos<'a> {
    version_id: &'a str,
    language: Option<&'a str>,
    accepted_at: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "fields are read only by the deserializer")]
struct FloorAttestation<'a> {
    form: Option<&'a str>,
    signed_at: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "fields are read only by the deserializer")]
struct FloorCompliance<'a> {
    requester_ip_address: Option<&'a str>,
}

fn end_to_end(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    let mut group = c.benchmark_group("end_to_end");
    for (name, text) in fixtures() {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("floor", name), text, |b, t| {
            b.iter(|| serde_json::from_str::<FloorCustomer<'_>>(black_box(t)).unwrap());
        });
        let snapshot = Snapshot::from_json(text).unwrap();
        let evaluation = rules.evaluate_ref(&snapshot, Timestamp::parse(AT).unwrap());
        group.bench_with_input(BenchmarkId::new("write_only", name), &evaluation, |b, e| {
            b.iter(|| black_box(e).to_json(true));
        });
        group.bench_with_input(BenchmarkId::new("compact", name), text, |b, t| {
            b.iter(|| wire::evaluate_json_compact(&rules, black_box(t), AT).unwrap());
        });
        group.bench_with_input(BenchmarkId::new("pretty", name), text, |b, t| {
            b.iter(|| wire::evaluate_json(&rules, black_box(t), AT).unwrap());
        });
    }
    group.finish();
}

fn check(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    let at = Timestamp::parse(AT).unwrap();
    let mut group = c.benchmark_group("check");
    for (name, text) in fixtures() {
        let snapshot = Snapshot::from_json(text).unwrap();
        group.bench_with_input(BenchmarkId::new("parsed", name), &snapshot, |b, s| {
            b.iter(|| rules.check(black_box(s), "sendFiatTransfer", at));
        });
        group.bench_with_input(BenchmarkId::new("bytes", name), text, |b, t| {
            b.iter(|| wire::check_json_compact(&rules, black_box(t), "sendFiatTransfer", AT));
        });
    }
    group.finish();
}

criterion_group!(benches, load, evaluate, parse, end_to_end, check);
criterion_main!(benches);
