//! The VRL baseline: what a Vector user would write instead of this plugin for the core
//! envelope mapping, run through the `vrl` crate on pre-split records (so it is charged neither
//! gunzip nor framing, which the plugin's full decode is).
//!
//! `cargo bench -p cloudtrail-ecs-benches --features vrl --bench vrl`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use cloudtrail_ecs_benches::{Input, median, small};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vrl::compiler::{Context, Program, TargetValue, TimeZone, state::RuntimeState};
use vrl::value::{Secrets, Value};

/// The native binaries' allocator, as in the `cloudtrail-ecs` CLI (workspace manifest).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The core envelope mapping of the `aws.cloudtrail` pipeline (`@timestamp`, `event.*`,
/// `cloud.*`, `source.*`, `user_agent.original`, the `aws.cloudtrail` envelope fields and the
/// flattened payloads), as idiomatic VRL.
pub const PROGRAM: &str = r#"
j = object!(parse_json!(string!(.message)))
.event.original = del(.message)
ts, err = parse_timestamp(j.eventTime, "%+")
if err == null { ."@timestamp" = ts }
.event.kind = "event"
.event.action = j.eventName
.event.provider = j.eventSource
.event.id = j.eventID
.event.outcome = if j.errorCode != null || j.errorMessage != null { "failure" } else { "success" }
.cloud.provider = "aws"
.cloud.region = j.awsRegion
.cloud.account.id = j.recipientAccountId
.source.address = j.sourceIPAddress
addr = string(j.sourceIPAddress) ?? ""
if is_ipv4(addr) || is_ipv6(addr) { .source.ip = addr }
.user_agent.original = j.userAgent
.user.name = j.userIdentity.userName
.aws.cloudtrail.event_version = j.eventVersion
.aws.cloudtrail.event_type = j.eventType
.aws.cloudtrail.event_category = j.eventCategory
.aws.cloudtrail.request_id = j.requestID
.aws.cloudtrail.read_only = j.readOnly
.aws.cloudtrail.management_event = j.managementEvent
.aws.cloudtrail.recipient_account_id = j.recipientAccountId
.aws.cloudtrail.shared_event_id = j.sharedEventID
.aws.cloudtrail.error_code = j.errorCode
.aws.cloudtrail.error_message = j.errorMessage
.aws.cloudtrail.user_identity.type = j.userIdentity.type
.aws.cloudtrail.user_identity.arn = j.userIdentity.arn
.aws.cloudtrail.user_identity.access_key_id = j.userIdentity.accessKeyId
if j.requestParameters != null {
  .aws.cloudtrail.request_parameters = encode_json(j.requestParameters)
  .aws.cloudtrail.flattened.request_parameters = j.requestParameters
}
if j.responseElements != null {
  .aws.cloudtrail.response_elements = encode_json(j.responseElements)
  .aws.cloudtrail.flattened.response_elements = j.responseElements
}
if j.additionalEventData != null {
  .aws.cloudtrail.additional_eventdata = encode_json(j.additionalEventData)
  .aws.cloudtrail.flattened.additional_eventdata = j.additionalEventData
}
. = compact(.)
"#;

fn compile() -> Program {
    let fns = vrl::stdlib::all();
    match vrl::compiler::compile(PROGRAM, &fns) {
        Ok(r) => r.program,
        Err(d) => panic!("the VRL program does not compile: {d:?}"),
    }
}

fn event(record: &str) -> Value {
    let mut m = BTreeMap::new();
    m.insert("message".into(), Value::from(record));
    m.insert("@timestamp".into(), Value::from("2026-11-29T12:30:00.000Z"));
    Value::Object(m)
}

fn run(program: &Program, record: &str, tz: &TimeZone) -> Value {
    let mut target = TargetValue {
        value: event(record),
        metadata: Value::Object(BTreeMap::new()),
        secrets: Secrets::default(),
    };
    let mut state = RuntimeState::default();
    let mut ctx = Context::new(&mut target, &mut state, tz);
    let r = program.resolve(&mut ctx);
    assert!(r.is_ok(), "{r:?}");
    target.value
}

fn vrl_baseline(c: &mut Criterion) {
    let program = compile();
    let tz = TimeZone::default();
    let inputs: [Input; 2] = [small(), median()];
    // Sanity: the mapping did its job on a real record.
    let out = run(&program, &inputs[1].records[0], &tz);
    let text = serde_json::to_string(&out).unwrap_or_default();
    assert!(text.contains("\"event\":{\"action\""), "{text}");
    for input in &inputs {
        let mut g = c.benchmark_group(format!("vrl/{}", input.name));
        g.throughput(Throughput::ElementsAndBytes {
            elements: input.count(),
            bytes: input.json.len() as u64,
        });
        g.warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
        g.bench_function("vrl_program", |b| {
            b.iter(|| {
                for r in &input.records {
                    black_box(run(&program, r, &tz));
                }
            })
        });
        g.bench_function("vrl_program_write", |b| {
            b.iter(|| {
                for r in &input.records {
                    let v = run(&program, r, &tz);
                    black_box(serde_json::to_string(&v).ok());
                }
            })
        });
        g.finish();
    }
}

criterion_group!(benches, vrl_baseline);
criterion_main!(benches);
