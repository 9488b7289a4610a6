//! Terraform input: plan JSON (`terraform show -json tfplan`) and `.tf` configuration, read
//! into the same `Plan` values YAML plans become, so the checks and reports do not know the
//! difference.
//!
//! - `plan_json` reads the plan: which resources are created or replaced, with the values
//!   Terraform computed, and byte spans into the JSON.
//! - `files` lists and parses `.tf` files; `modules` reads the module tree (sources resolved
//!   against the calling module, registry modules where `terraform init` put them);
//!   `variables` takes input variables in Terraform's precedence; `eval` works out what an
//!   expression is worth before plan, and where it was set; `instances` expands `count` and
//!   `for_each`; `providers` finds a resource's provider configuration (through modules'
//!   `providers` maps); `direct` reads `.tf` without a plan; `locate` points plan JSON
//!   resources at their `.tf` blocks; `roots` finds the root modules that include changed
//!   files (the pre-commit hook).
//! - `resources` says which resource types preflight reads, and `build` turns one resource
//!   instance into entries.

mod budget;
mod build;
mod direct;
mod eval;
mod files;
mod instances;
mod locate;
mod modules;
mod plan_json;
mod providers;
mod recover;
mod resources;
mod roots;
mod terragrunt;
mod variables;

use std::path::{Path, PathBuf};

use miette::SourceSpan;

use crate::error::InputError;
use crate::files::Reader;
use crate::plan::{Origin, Plan};
use crate::source::SourceFile;
pub use files::{files_in, has_tf_files};
use resources::ResourceType;
pub use roots::{root_modules, roots_below};
pub use variables::VarFlag;

/// Whether `text` is Terraform plan JSON rather than a preflight plan (which YAML also allows
/// to be written as JSON): an object with Terraform's `format_version` or `resource_changes`.
pub fn is_plan_json(text: &str) -> bool {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        return false;
    }
    // `terraform show -json` starts with `{"format_version":…`; look a little further for
    // hand-formatted files, and then at the whole text.
    let head = &trimmed[..trimmed.len().min(4096)];
    head.contains("\"format_version\"")
        || trimmed.contains("\"resource_changes\"")
        || trimmed.contains("\"format_version\"")
}

/// Whether `path` names Terraform configuration (`.tf`) rather than a plan.
pub fn is_tf_path(path: &Path) -> bool {
    path.is_dir() || path.extension().is_some_and(|e| e == "tf" || e == "tofu")
}

/// How to read Terraform input: where the `.tf` files are, the environment (for `TF_VAR_*`
/// and the region when no provider configuration sets it), and `--var-file` / `--var`.
pub struct Options<'a> {
    pub tf_dir: Option<PathBuf>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub vars: &'a [VarFlag],
    /// Where the files are read from (the disk, and the editor's buffers).
    pub reader: Reader<'a>,
}

/// Reads a Terraform plan JSON file, pointing findings into the `.tf` files when there are
/// some (`--tf-dir`, or the plan's directory) and into the JSON otherwise.
pub fn read_plan_json(source: SourceFile, options: &Options) -> Result<Plan, Vec<InputError>> {
    let plan_dir = Path::new(source.name())
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let reader = options.reader;
    let tf = match &options.tf_dir {
        Some(dir) => Some(modules::Config::load(&check_tf_dir(dir, reader)?, options)?),
        None if has_tf_files(&plan_dir, reader) => Some(modules::Config::load(&plan_dir, options)?),
        // A Terragrunt unit's plan: the configuration Terragrunt planned, its files named
        // after their sources.
        None => match terragrunt::unit_of(&plan_dir, reader)
            .and_then(|unit| terragrunt::planned(&unit, reader))
        {
            Some(planned) => {
                let mut config = modules::Config::load(&planned.dir, options)?;
                config.rename_files(|path, text| planned.original(path, text, reader));
                config.caller = planned.caller;
                Some(config)
            }
            None => None,
        },
    };
    plan_json::read(source, tf.as_ref(), options)
}

/// The Terragrunt unit a saved plan JSON was written for, if it is one's.
pub fn terragrunt_unit(plan_json: &Path, reader: Reader) -> Option<PathBuf> {
    let dir = plan_json.parent().unwrap_or(Path::new(""));
    terragrunt::unit_of(dir, reader)
}

/// Reads `.tf` configuration directly (a file or a directory): resources whose values are
/// literals or resolvable variables are checked; the rest are `unverified`.
pub fn read_config(path: &Path, options: &Options) -> Result<Plan, Vec<InputError>> {
    if path.is_dir()
        && options.reader.is_file(&path.join(terragrunt::UNIT_FILE))
        && terragrunt::is_unit(path, options.reader)
    {
        return terragrunt::unplanned(path, options);
    }
    direct::read(path, options)
}

/// `--tf-dir` must name a directory of `.tf` files.
fn check_tf_dir(dir: &Path, reader: Reader) -> Result<PathBuf, Vec<InputError>> {
    if !dir.is_dir() {
        return Err(vec![
            InputError::new(
                "input::bad-flag",
                format!("--tf-dir: `{}` is not a directory", dir.display()),
            )
            .with_help("name the directory that holds the configuration's .tf files"),
        ]);
    }
    if !has_tf_files(dir, reader) {
        return Err(vec![
            InputError::new(
                "input::bad-flag",
                format!("--tf-dir: `{}` holds no .tf files", dir.display()),
            )
            .with_help("name the root module's directory, where `terraform plan` ran"),
        ]);
    }
    Ok(dir.to_path_buf())
}

/// A value of one attribute of one resource instance.
#[derive(Debug, Clone)]
pub(crate) enum Attr {
    /// Known before apply, written at `span` in the resource's file; `origins` say where the
    /// variables it comes from were set.
    Known {
        value: String,
        span: SourceSpan,
        origins: Vec<Origin>,
    },
    /// Not known before apply (or not before plan, reading `.tf` directly): `why` ends
    /// "`key` …"; `span` is where it is written, `origins` where what decides it is.
    Unknown {
        why: String,
        span: Option<SourceSpan>,
        origins: Vec<Origin>,
    },
    /// A list of values (a scaling configuration's `instance_types`).
    List(Vec<Attr>),
    /// Not set.
    Absent,
}

impl Attr {
    /// A list as it is; one value as a list of one; nothing as nothing.
    pub(crate) fn into_list(self) -> Attr {
        match self {
            Attr::Absent => Attr::Absent,
            list @ Attr::List(_) => list,
            one => Attr::List(vec![one]),
        }
    }
}

/// One data disk's attributes.
#[derive(Debug, Clone)]
pub(crate) struct DiskAttrs {
    pub category: Attr,
    pub size: Attr,
}

/// The region a resource's provider configuration gives.
#[derive(Debug, Clone)]
pub(crate) enum Region {
    Known(String),
    /// No configuration sets it; `why` says what was looked at.
    Missing(String),
}

/// One resource instance to map, whichever input it came from.
pub(crate) struct Resource<'t> {
    pub address: String,
    pub ty: &'t ResourceType,
    /// The file its spans are in, and where its address is (the block header in `.tf`, the
    /// `address` value in plan JSON).
    pub file: SourceFile,
    pub header: SourceSpan,
    pub attrs: resources::InstanceAttrs<Attr>,
    /// Its data disks (`Launches::data_disks`), in the order written.
    pub data_disks: Vec<DiskAttrs>,
    /// The vSwitches of the group it launches in (`Launches::group`), as that group says them.
    pub group_vswitches: Attr,
    /// For a custom image made from an instance: that instance's zone.
    pub source_zone: Attr,
    pub region: Region,
    /// The module calls that lead to it, outermost first.
    pub callers: Vec<Origin>,
    pub creates: bool,
    pub deletes: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_json_is_told_from_json_written_plans() {
        assert!(is_plan_json(
            r#"{"format_version":"1.2","resource_changes":[]}"#
        ));
        assert!(is_plan_json("\n{\n  \"resource_changes\": []\n}"));
        assert!(!is_plan_json(r#"{"instances":[]}"#));
        assert!(!is_plan_json("instances: []\n"));
    }
}
