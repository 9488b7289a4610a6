pub mod fake_cloud;
pub mod run;
pub mod xsd;
