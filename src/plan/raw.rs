//! The plan file exactly as written: serde types whose values remember their spans. These are
//! also what `preflight schema` describes. Nothing outside `plan/` sees them: `parse` turns
//! them into the checked `Plan`.

use std::borrow::Cow;

use miette::SourceSpan;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::source::SourceFile;

/// A value with the place it was written: from serde-saphyr (`Spanned`), or from the fast
/// reader in `fast.rs`, which knows the byte span directly. Transparent to serde and to the
/// schema.
#[derive(Debug, Clone)]
pub enum Sp<T> {
    Saphyr(serde_saphyr::Spanned<T>),
    Fast { value: T, span: SourceSpan },
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_saphyr::Spanned::<T>::deserialize(d).map(Sp::Saphyr)
    }
}

impl<T> Sp<T> {
    pub fn get(&self) -> &T {
        match self {
            Sp::Saphyr(s) => &s.value,
            Sp::Fast { value, .. } => value,
        }
    }

    /// Where the value was written; where the parser kept no byte offset, from line and column.
    pub fn span(&self, file: &SourceFile) -> SourceSpan {
        let loc = match self {
            Sp::Fast { span, .. } => return *span,
            Sp::Saphyr(s) => &s.referenced,
        };
        let s = loc.span();
        match (s.byte_offset(), s.byte_len()) {
            (Some(off), Some(len)) => SourceSpan::new((off as usize).into(), len as usize),
            _ => SourceSpan::new(
                file.offset_of(loc.line() as usize, loc.column() as usize)
                    .into(),
                0,
            ),
        }
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// The clouds preflight checks, as written in plans.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "Cloud")]
#[allow(dead_code)] // only describes the allowed strings in the schema
pub enum CloudName {
    Jdcloud,
    Aliyun,
    Zenlayer,
}

/// How an instance is bought, as written in plans.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "ChargeType")]
#[allow(dead_code)] // only describes the allowed strings in the schema
pub enum ChargeTypeName {
    Postpaid,
    Prepaid,
    Spot,
}

/// Zenlayer's services, as written in plans.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "Service")]
#[allow(dead_code)] // only describes the allowed strings in the schema
pub enum ServiceName {
    Vm,
    Zec,
}

/// A preflight plan: the instances a deploy will create and the custom images it will make.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "preflight plan")]
pub struct RawPlan {
    /// Values every entry inherits unless it sets its own.
    #[serde(default)]
    pub defaults: Option<RawDefaults>,
    /// Instances the deploy creates; each is checked as a (cloud, region, image, type) pairing.
    #[serde(default)]
    pub instances: Option<Sp<Vec<Sp<RawInstance>>>>,
    /// Custom images the deploy creates; they count against the region's image quota.
    #[serde(default)]
    pub images: Option<Sp<Vec<Sp<RawImage>>>>,
}

/// Defaults for `cloud`, `region`, `service` and `charge_type`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Defaults")]
pub struct RawDefaults {
    /// jdcloud, aliyun or zenlayer.
    #[schemars(with = "Option<CloudName>")]
    pub cloud: Option<Sp<String>>,
    /// The region id (for Zenlayer, the zone id such as `FRA-A`).
    pub region: Option<Sp<String>>,
    /// For Zenlayer entries: `vm` (the default) or `zec`.
    #[schemars(with = "Option<ServiceName>")]
    pub service: Option<Sp<String>>,
    /// postpaid (the default), prepaid or spot.
    #[schemars(with = "Option<ChargeTypeName>")]
    pub charge_type: Option<Sp<String>>,
}

/// One kind of instance the deploy creates.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Instance")]
pub struct RawInstance {
    /// A name for the entry, unique among the plan's instances.
    pub name: Sp<String>,
    /// jdcloud, aliyun or zenlayer; defaults to `defaults.cloud`.
    #[schemars(with = "Option<CloudName>")]
    pub cloud: Option<Sp<String>>,
    /// The region id (for Zenlayer, the zone id); defaults to `defaults.region`.
    pub region: Option<Sp<String>>,
    /// The image id the instances boot from.
    pub image: Sp<String>,
    /// The instance type (JD Cloud and Alibaba) or instance config (Zenlayer).
    pub instance_type: Sp<String>,
    /// How many instances of this kind; at least 1.
    #[schemars(range(min = 1))]
    pub count: Option<Sp<i64>>,
    /// System disk size in GB; checked against the image's minimum.
    #[schemars(range(min = 1))]
    pub system_disk_gb: Option<Sp<i64>>,
    /// The availability zone (JD Cloud and Alibaba); checked for stock. For Zenlayer the
    /// region already is the zone.
    pub zone: Option<Sp<String>>,
    /// How the instances are bought: postpaid (the default), prepaid or spot.
    #[schemars(with = "Option<ChargeTypeName>")]
    pub charge_type: Option<Sp<String>>,
    /// For Zenlayer: `vm` (the default) or `zec` (Zenlayer Elastic Compute).
    #[schemars(with = "Option<ServiceName>")]
    pub service: Option<Sp<String>>,
}

/// A custom image the deploy creates.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Image")]
pub struct RawImage {
    /// A name for the entry, unique among the plan's images.
    pub name: Sp<String>,
    /// jdcloud, aliyun or zenlayer; defaults to `defaults.cloud`.
    #[schemars(with = "Option<CloudName>")]
    pub cloud: Option<Sp<String>>,
    /// The region id (for Zenlayer, the zone id); defaults to `defaults.region`.
    pub region: Option<Sp<String>>,
    /// How many images of this kind; at least 1.
    #[schemars(range(min = 1))]
    pub count: Option<Sp<i64>>,
    /// For Zenlayer: `vm` (the default) or `zec`.
    #[schemars(with = "Option<ServiceName>")]
    pub service: Option<Sp<String>>,
}

/// Every value and span of a raw plan, as text: how the property test compares the readers.
pub fn describe(plan: &RawPlan, file: &SourceFile) -> String {
    fn sp<T: std::fmt::Debug>(v: &Option<Sp<T>>, f: &SourceFile) -> String {
        v.as_ref().map_or("-".to_string(), |v| {
            format!("{:?}@{:?}", v.get(), v.span(f))
        })
    }
    let mut out = String::new();
    if let Some(d) = &plan.defaults {
        out.push_str(&format!(
            "defaults {} {} {} {}\n",
            sp(&d.cloud, file),
            sp(&d.region, file),
            sp(&d.service, file),
            sp(&d.charge_type, file)
        ));
    }
    for i in plan.instances.iter().flat_map(|l| l.get()) {
        let v = i.get();
        out.push_str(&format!(
            "instance @{:?} {} {} {} {} {} {} {} {} {} {}\n",
            i.span(file),
            sp(&Some(v.name.clone()), file),
            sp(&v.cloud, file),
            sp(&v.region, file),
            sp(&Some(v.image.clone()), file),
            sp(&Some(v.instance_type.clone()), file),
            sp(&v.count, file),
            sp(&v.system_disk_gb, file),
            sp(&v.zone, file),
            sp(&v.charge_type, file),
            sp(&v.service, file)
        ));
    }
    for i in plan.images.iter().flat_map(|l| l.get()) {
        let v = i.get();
        out.push_str(&format!(
            "image @{:?} {} {} {} {} {}\n",
            i.span(file),
            sp(&Some(v.name.clone()), file),
            sp(&v.cloud, file),
            sp(&v.region, file),
            sp(&v.count, file),
            sp(&v.service, file)
        ));
    }
    out
}
