#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tars_fuzz::targets::http_headers(data));
