//! Host limits (`spec/reliability.md` §3.5 R1–R3): a guest that needs more memory than the cap
//! fails with the memory-limit error, one that runs past its epoch deadline fails with the CPU
//! error, and in both cases the engine discards the poisoned instance and the next call succeeds
//! on a fresh one.

use cloudtrail_ecs_host::api::{Options, SourceMeta};
use cloudtrail_ecs_host::{DecodeEngine, HostError, WasmConfig, WasmEngine, WasmRuntime};
use std::time::Duration;

/// A plain CloudTrail file body with `n` records of our own making (documentation IPs, example
/// account).
fn cloudtrail_file(n: usize) -> Vec<u8> {
    let mut s = String::from("{\"Records\":[");
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            concat!(
                r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE{i:09}","#,
                r#""arn":"arn:aws:iam::111122223333:user/user{i}","accountId":"111122223333","#,
                r#""accessKeyId":"AKIAEXAMPLE{i:09}","userName":"user{i}"}},"eventTime":"2024-05-01T10:00:00Z","#,
                r#""eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","#,
                r#""sourceIPAddress":"192.0.2.{ip}","userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0","#,
                r#""requestParameters":{{"instancesSet":{{"items":[{{"instanceId":"i-{i:017x}"}}]}},"filterSet":{{}}}},"#,
                r#""responseElements":null,"requestID":"req-{i}","eventID":"00000000-0000-4000-8000-{i:012}","#,
                r#""readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"#,
                r#""recipientAccountId":"111122223333","eventCategory":"Management"}}"#
            ),
            i = i,
            ip = i % 250 + 1
        ));
    }
    s.push_str("]}");
    s.into_bytes()
}

fn meta() -> SourceMeta {
    SourceMeta {
        received: "2024-05-01T12:00:00.000Z".into(),
        source_name: Some("limits-test.json".into()),
        ..SourceMeta::default()
    }
}

fn count_docs(engine: &mut WasmEngine, input: &[u8]) -> Result<usize, HostError> {
    let mut n = 0;
    engine.decode_stream(&mut &input[..], &meta(), &Options::default(), &mut |_| {
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

#[test]
fn memory_cap_stops_the_call_and_a_fresh_instance_serves_the_next() {
    let runtime = WasmRuntime::shared().expect("component");
    let config = WasmConfig {
        memory_limit: 4 << 20,
        call_deadline: Duration::from_secs(60),
    };
    let mut engine = WasmEngine::new(runtime, config);
    let small = cloudtrail_file(3);
    assert_eq!(
        count_docs(&mut engine, &small).expect("small input fits"),
        3
    );

    // 1 MiB chunks in, several MiB of documents out per call: beyond a 4 MiB memory.
    let big = cloudtrail_file(20_000);
    match count_docs(&mut engine, &big) {
        Err(e @ HostError::MemoryLimit { .. }) => {
            assert!(e.to_string().starts_with("memory limit"), "{e}");
        }
        other => panic!("expected the memory-limit error, got {other:?}"),
    }
    assert!(
        !engine.has_instance(),
        "a trapped instance must be discarded"
    );
    assert_eq!(count_docs(&mut engine, &small).expect("fresh instance"), 3);
}

#[test]
fn epoch_deadline_stops_a_long_call_and_the_engine_recovers() {
    let runtime = WasmRuntime::load_with_tick(
        std::path::Path::new(cloudtrail_ecs_host::PLUGIN_COMPONENT),
        Duration::from_millis(1),
    )
    .expect("component");
    let mut engine = WasmEngine::new(
        runtime,
        WasmConfig {
            memory_limit: 512 << 20,
            call_deadline: Duration::from_millis(1),
        },
    );
    let big = cloudtrail_file(20_000);
    match count_docs(&mut engine, &big) {
        Err(e @ HostError::CpuDeadline { .. }) => {
            assert!(e.to_string().starts_with("cpu deadline"), "{e}");
        }
        other => panic!("expected the cpu-deadline error, got {other:?}"),
    }
    assert!(!engine.has_instance());
    engine.set_config(WasmConfig {
        call_deadline: Duration::from_secs(60),
        ..engine.config()
    });
    assert_eq!(
        count_docs(&mut engine, &cloudtrail_file(3)).expect("recovered"),
        3
    );
}

#[test]
fn config_errors_are_reported_without_losing_the_instance() {
    let mut engine = WasmEngine::new(
        WasmRuntime::shared().expect("component"),
        WasmConfig::default(),
    );
    let bad = SourceMeta {
        namespace: Some("Not A Valid Namespace!".into()),
        ..meta()
    };
    let r = engine.decode_stream(&mut &b"{}"[..], &bad, &Options::default(), &mut |_| Ok(()));
    assert!(matches!(r, Err(HostError::Config(_))), "{r:?}");
    assert!(engine.has_instance());
    assert_eq!(
        count_docs(&mut engine, &cloudtrail_file(2)).expect("still usable"),
        2
    );
}

#[test]
fn the_component_describes_itself() {
    let mut engine = WasmEngine::new(
        WasmRuntime::shared().expect("component"),
        WasmConfig::default(),
    );
    let (name, version, reference) = engine.info().expect("info");
    assert_eq!(name, "cloudtrail-ecs-plugin");
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert!(reference.contains("aws"), "{reference}");
}

#[test]
fn the_same_input_twice_gives_byte_identical_documents() {
    let mut engine = WasmEngine::new(
        WasmRuntime::shared().expect("component"),
        WasmConfig::default(),
    );
    let input = cloudtrail_file(50);
    let mut runs = Vec::new();
    for _ in 0..2 {
        let mut out = Vec::new();
        engine
            .decode_stream(&mut &input[..], &meta(), &Options::default(), &mut |d| {
                out.push(d.json.clone());
                Ok(())
            })
            .expect("decode");
        runs.push(out);
    }
    assert_eq!(runs[0].len(), 50);
    assert_eq!(runs[0], runs[1]);
}
