//! What a server sends: any status and body, through each cloud's classifier, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use preflight::clouds::http::Response;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = 100 + u16::from_le_bytes([data[0], data[1]]) % 500;
    let response = Response {
        status,
        headers: Default::default(),
        body: data[3..].to_vec(),
    };
    let _ = match data[2] % 3 {
        0 => preflight::clouds::jdcloud::client::classify(&response),
        1 => preflight::clouds::aliyun::client::classify(&response),
        _ => preflight::clouds::zenlayer::client::classify(&response),
    };
});
