pub mod fake_cloud;
