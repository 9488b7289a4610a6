//! What a server sends: any status and body, through each cloud's classifier and then every
//! parser of that cloud's answers, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use preflight::clouds::http::{Class, Response};

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
    let cloud = data[2] % 3;
    let class = match cloud {
        0 => preflight::clouds::jdcloud::request::classify(&response),
        1 => preflight::clouds::aliyun::request::classify(&response),
        _ => preflight::clouds::zenlayer::request::classify(&response),
    };
    if let Class::Ok(json) = class {
        preflight::clouds::parse_every_answer(cloud, &json);
    }
});
