//! libFuzzer entry for [`cloudtrail_ecs_fuzz::cwl`] (oracle documented there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudtrail_ecs_fuzz::cwl(data));
