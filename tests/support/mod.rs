pub mod fake_cloud;
pub mod json_schema;
pub mod run;
pub mod xsd;
