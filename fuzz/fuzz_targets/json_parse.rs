//! libFuzzer entry for [`cloudtrail_ecs_fuzz::json_parse`] (oracle documented there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudtrail_ecs_fuzz::json_parse(data));
