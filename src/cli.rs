//! The command line, as clap types only. `main.rs` turns these into library calls.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostic::Severity;
use crate::report::Format;

/// A rule id: any text (rule files define their own ids, checked once they are read), with
/// the built-in ids offered to shell completion.
#[derive(Debug, Clone, Copy)]
pub struct RuleId;

impl clap::builder::TypedValueParser for RuleId {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(crate::checks::catalog::builtin_summaries().map(
            |(id, summary)| clap::builder::PossibleValue::new(id).help(summary),
        )))
    }
}

/// The man pages' own sections beyond the flags (the pages are made from these and the clap
/// definitions): per command (`""` is the top page), each (heading, paragraphs).
pub const MAN_SECTIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "",
        &[
            ("EXIT STATUS", EXIT_STATUS),
            ("ENVIRONMENT", ENVIRONMENT),
            ("EXAMPLES", TOP_EXAMPLES),
        ],
    ),
    (
        "validate",
        &[
            ("EXIT STATUS", EXIT_STATUS),
            ("ENVIRONMENT", ENVIRONMENT),
            ("EXAMPLES", VALIDATE_EXAMPLES),
        ],
    ),
    (
        "fetch",
        &[("ENVIRONMENT", ENVIRONMENT), ("EXAMPLES", FETCH_EXAMPLES)],
    ),
    (
        "credentials",
        &[
            ("EXIT STATUS", CREDENTIALS_EXIT),
            ("EXAMPLES", CREDENTIALS_EXAMPLES),
        ],
    ),
];

const EXIT_STATUS: &str = "0  nothing at or above --fail-on (default: error), and nothing unverified (or --allow-unverified)
1  findings at or above --fail-on; with --diff, a fix to apply
2  the run failed: bad input (a plan, a flag, a rule or config file) or a report that could not be written
3  no findings, but some pairings could not be checked (unverified)";

const ENVIRONMENT: &str = "JDCLOUD_ACCESS_KEY, JDCLOUD_SECRET_KEY: JD Cloud's key (else ~/.jdc/config)
ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN: Alibaba Cloud's key; also Terraform's ALICLOUD_* names, OIDC (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE), profiles and the ECS instance role (README: Credentials)
ZENLAYER_ACCESS_KEY_ID, ZENLAYER_ACCESS_KEY_SECRET: Zenlayer's key (also Terraform's ZENLAYERCLOUD_* names)
PREFLIGHT_JDCLOUD_ENDPOINT, PREFLIGHT_ALIYUN_ENDPOINT, PREFLIGHT_ZENLAYER_ENDPOINT: another endpoint for a cloud (https, or http to loopback)
PREFLIGHT_CACHE_DIR: where the clouds' answers are cached (default: the user cache directory)
PREFLIGHT_LOG: log filter on stderr (error, warn, info, debug)
NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE: colour, unless --color says otherwise; COLUMNS: the width when not on a terminal
TF_VAR_name: Terraform variables, as terraform plan reads them";

const TOP_EXAMPLES: &str = "preflight validate plan.yaml
preflight validate .                       every plan file and Terraform root below
preflight validate tfplan.json --format sarif --output preflight.sarif
preflight explain instance-type-excluded";

const VALIDATE_EXAMPLES: &str =
    "preflight validate plan.yaml --facts facts.json     check offline, against a facts file
terraform show -json tfplan > tfplan.json && preflight validate tfplan.json
preflight validate infra/ --var-file prod.tfvars   the .tf files, as terraform plan would read them
preflight validate . --format github               annotations in a GitHub Actions log
preflight validate plan.yaml --diff                what --fix would change";

const FETCH_EXAMPLES: &str = "preflight fetch . --output facts.json
preflight validate . --facts facts.json --offline";

const CREDENTIALS_EXIT: &str = "0  every cloud has credentials (with --check: working ones)
1  with --check, a cloud refused its credentials
2  bad input
3  a cloud has none configured, or a check could not tell";

const CREDENTIALS_EXAMPLES: &str =
    "preflight credentials                 which credentials each cloud would use
preflight credentials plan.yaml --check   prove them with one signed call each";

#[derive(Debug, Parser)]
#[command(
    name = "preflight",
    version,
    about = "Catch cloud image / instance-type pairings that would fail, before you deploy",
    long_about = None,
    after_help = "Exit codes: 0 nothing at or above --fail-on; 1 findings; 2 the run failed (bad input); 3 only unverified pairings."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check plan files against the clouds' facts and report each problem.
    Validate(ValidateArgs),
    /// Write the current findings as a baseline (to --output, default
    /// `.preflight-baseline.json`), so `validate --baseline FILE` reports only new ones. Takes
    /// every `validate` flag.
    Baseline(ValidateArgs),
    /// Print a rule's documentation.
    Explain {
        /// The rule id, as shown in brackets in findings.
        #[arg(value_parser = RuleId, hide_possible_values = true)]
        rule: String,
        /// Also look in this rule directory (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// List every rule with a one-line summary.
    Rules {
        /// Also list the rules in this rule directory (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the plan file (for editor completion and validation).
    Schema,
    /// Fetch every fact the plans need from the clouds and write a facts file, for hermetic
    /// runs with `validate --facts`.
    Fetch(FetchArgs),
    /// Print a shell completion script (e.g. `preflight completions bash > /etc/bash_completion.d/preflight`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Say which credential source each cloud uses (never a secret), and with --check prove
    /// that they work with one cheap signed call per cloud.
    Credentials(CredentialsArgs),
    /// Run the language server on stdin and stdout, for editors: findings as you type, quick
    /// fixes, hovers and completion, from --facts or the cache (a keystroke never asks the
    /// clouds).
    Lsp(LspArgs),
    /// Print the read-only cloud permissions preflight needs, as ready-to-paste policies.
    Permissions {
        /// Only this cloud (then the output is the policy document alone).
        #[arg(value_enum)]
        cloud: Option<CloudArg>,
    },
}

/// A cloud, on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CloudArg {
    Jdcloud,
    Aliyun,
    Zenlayer,
}

impl From<CloudArg> for crate::cloud::Cloud {
    fn from(c: CloudArg) -> Self {
        match c {
            CloudArg::Jdcloud => crate::cloud::Cloud::Jdcloud,
            CloudArg::Aliyun => crate::cloud::Cloud::Aliyun,
            CloudArg::Zenlayer => crate::cloud::Cloud::Zenlayer,
        }
    }
}

#[derive(Debug, Args)]
pub struct LspArgs {
    /// Check against this facts file (read again when it changes) instead of the cache.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,

    /// Never ask the clouds, not even when asked to by a code action: the cache only.
    #[arg(long)]
    pub offline: bool,

    /// Extra rule directory (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,

    /// Settings file [default: the nearest .preflight.yaml above each document].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Talk over stdin and stdout (the only way; accepted because editors' clients pass it).
    #[arg(long, hide = true)]
    pub stdio: bool,
}

#[derive(Debug, Args)]
pub struct CredentialsArgs {
    /// Plans whose clouds to look at: files, Terraform plan JSON, .tf files or directories
    /// [default: every cloud].
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// Only this cloud (repeatable).
    #[arg(long, value_enum, value_name = "CLOUD")]
    pub cloud: Vec<CloudArg>,

    /// Also make one cheap signed call per cloud that proves the credentials work (JD Cloud
    /// describeQuotas, Zenlayer DescribeImageQuota, Alibaba STS GetCallerIdentity).
    #[arg(long)]
    pub check: bool,

    /// Settings file (its endpoints are used) [default: .preflight.yaml here or in a parent].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Deadline for the checks, in seconds [default: 60].
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Log each request (method, host, status, latency) on standard error.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Plan files, Terraform plan JSON, .tf files, or directories to search for them
    /// (default: the current directory).
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub terraform: TerraformArgs,

    /// Where to write the facts file.
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,

    /// Settings file [default: .preflight.yaml here or in a parent, up to the repository root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub network: NetworkArgs,

    /// In directories, look for files matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// In directories, skip paths matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Log each request (method, host, operation, status, latency) on standard error.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// How to reach the clouds.
#[derive(Debug, Default, Args)]
pub struct NetworkArgs {
    /// Overall deadline for fetching, in seconds; what is not answered by then is unverified
    /// [default: 60].
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Requests in flight at once, across all clouds [default: 32].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,

    /// Neither read nor write the cache of the clouds' answers.
    #[arg(long, conflicts_with = "refresh")]
    pub no_cache: bool,

    /// Ask the clouds again even for answers still in the cache (and cache the new ones).
    #[arg(long)]
    pub refresh: bool,

    /// Ask Alibaba Cloud for its own verdict on each fully known launch: `RunInstances` with
    /// `DryRun=true` (no instance is created; it needs the `ecs:RunInstances` permission).
    #[arg(long)]
    pub dry_run: bool,
}

/// How Terraform input is read: where the `.tf` files are and the variables `terraform plan`
/// would be given.
#[derive(Debug, Clone, Args)]
pub struct TerraformArgs {
    /// Where the .tf files of a Terraform plan JSON are, to point findings at them
    /// [default: the plan file's directory, if it holds .tf files].
    #[arg(long, value_name = "DIR")]
    pub tf_dir: Option<PathBuf>,

    /// A Terraform variables file, as `terraform plan -var-file` takes it (repeatable; with
    /// --var, later wins, in the order given).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_file: Vec<PathBuf>,

    /// A Terraform variable, as `terraform plan -var NAME=VALUE` takes it (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub var: Vec<String>,

    /// The PATHS are changed .tf / .tfvars files (a pre-commit hook's): check the Terraform
    /// root modules that include them, found under the repository root.
    #[arg(long)]
    pub tf_roots: bool,
}

/// When to colour the terminal output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Plan files, Terraform plan JSON, .tf files, or directories to search for them
    /// (default: the current directory).
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub terraform: TerraformArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Colour: `auto` on a terminal unless `NO_COLOR` is set (`FORCE_COLOR` or
    /// `CLICOLOR_FORCE` force it), `always`, or `never`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Report only findings beyond this baseline (written by `preflight baseline`); the ones
    /// it holds are counted, not shown.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The repository root that SARIF, GitHub and JUnit paths are relative to (default: the
    /// nearest directory from here up that holds `.git`).
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub root: Option<PathBuf>,

    /// Extra rule directory (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,

    /// Lowest severity that fails the run (exit code 1) [default: error].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Settings file [default: .preflight.yaml here or in a parent, up to the repository root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Turn a rule off (repeatable, or comma-separated).
    #[arg(
        long,
        value_name = "RULE",
        value_delimiter = ',',
        value_parser = RuleId,
        hide_possible_values = true
    )]
    pub disable: Vec<String>,

    /// Check against this facts file (written by `preflight fetch`) instead of the clouds.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,

    /// Never touch the network: use --facts, or the cache of earlier runs; what is in neither
    /// is unverified.
    #[arg(long, conflicts_with = "refresh")]
    pub offline: bool,

    #[command(flatten)]
    pub network: NetworkArgs,

    /// Unverified pairings do not fail the run (they are still reported).
    #[arg(long)]
    pub allow_unverified: bool,

    /// Apply the safe fixes to the plan and `.tf` files (a one-edit typo of a type the image
    /// allows, a system disk raised to the image's minimum), then report what is left.
    #[arg(long, conflicts_with = "diff")]
    pub fix: bool,

    /// Print the fixes as a unified diff instead of applying them; exit 1 when there are
    /// some, else as the findings decide.
    #[arg(long)]
    pub diff: bool,

    /// With --fix or --diff, also the fixes that change what is deployed (another type of the
    /// same family), which need a person's eye.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// In directories, look for files matching GLOB (repeatable; default **/*.plan.yaml,
    /// **/*.plan.yml, **/plan.yaml, **/plan.yml).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// In directories, skip paths matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Print only the findings: no notes, no summary line.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say what was read on standard error; log each request to the clouds.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// `--fail-on` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Note => Severity::Note,
        }
    }
}
