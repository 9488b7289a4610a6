//! Facts files, rule files and config files: any text is read or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use preflight::source::SourceFile;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 3 {
        0 => {
            let _ = preflight::facts::Facts::from_json(&SourceFile::new("facts.json", text));
        }
        1 => {
            let _ = preflight::policy::compile_source(&SourceFile::new("rules.yaml", text));
        }
        _ => {
            let file = SourceFile::new(".preflight.yaml", text);
            let _ = preflight::config::parse(&file, std::path::Path::new("."));
        }
    }
});
