pub mod fake_cloud;
pub mod json_schema;
pub mod lsp_client;
pub mod run;
pub mod xsd;
