pub mod fake_cloud;
pub mod run;
