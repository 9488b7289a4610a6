//! Validates JSON against a JSON Schema file with boon (drafts 4 to 2020-12, formats asserted).

// Each test binary uses a part of this.
#![allow(dead_code)]

use std::path::Path;

pub struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Validator {
    pub fn read(path: &Path) -> Validator {
        let text = std::fs::read_to_string(path).expect("schema file");
        Validator::new(serde_json::from_str(&text).expect("schema JSON"))
    }

    pub fn new(schema: serde_json::Value) -> Validator {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        compiler
            .add_resource("file:///schema.json", schema)
            .expect("schema added");
        let index = compiler
            .compile("file:///schema.json", &mut schemas)
            .unwrap_or_else(|e| panic!("schema compiles: {e:#}"));
        Validator { schemas, index }
    }

    /// `Err` with every problem, one per line.
    pub fn check(&self, value: &serde_json::Value) -> Result<(), String> {
        self.schemas
            .validate(value, self.index)
            .map_err(|e| format!("{e:#}"))
    }
}
