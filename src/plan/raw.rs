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

    pub fn into_inner(self) -> T {
        match self {
            Sp::Saphyr(s) => s.value,
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

/// A YAML string: quoted, or a plain scalar YAML reads as a string. A number, boolean or null
/// is refused, as the schema refuses it (`image: 123` is the number 123 to YAML and to the
/// editor). `ID` picks the schema's pattern: an id is one word, a name may have spaces.
#[derive(Debug, Clone, PartialEq)]
pub struct Text<const ID: bool>(pub String);

/// A cloud id (an image, a type, a region, a zone) or a keyword.
pub type Id = Text<true>;
/// An entry's name.
pub type Name = Text<false>;

impl<const ID: bool> std::ops::Deref for Text<ID> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const ID: bool> std::fmt::Display for Text<ID> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de, const ID: bool> Deserialize<'de> for Text<ID> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = String;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string (quote a value YAML would read as a number or boolean)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
                Ok(v.to_string())
            }
        }
        d.deserialize_any(Visit).map(Text)
    }
}

impl<const ID: bool> JsonSchema for Text<ID> {
    fn schema_name() -> Cow<'static, str> {
        if ID { "Id".into() } else { "Name".into() }
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let pattern = if ID {
            super::ID_PATTERN
        } else {
            super::NAME_PATTERN
        };
        schemars::json_schema!({ "type": "string", "pattern": pattern })
    }
}

/// A whole number as JSON Schema has it: `40` and `40.0` are, `"40"` and `40.5` are not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Whole(pub i64);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = i64;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
                Ok(v)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
                Ok(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i64, E> {
                if v.is_finite() && v.fract() == 0.0 {
                    // Saturating: anything this large is out of range anyway.
                    Ok(v as i64)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
                }
            }
        }
        d.deserialize_any(Visit).map(Whole)
    }
}

impl JsonSchema for Whole {
    fn schema_name() -> Cow<'static, str> {
        "Whole".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "integer", "minimum": 1, "maximum": super::MAX_COUNT })
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
    pub cloud: Option<Sp<Id>>,
    /// The region id (for Zenlayer, the zone id such as `FRA-A`).
    pub region: Option<Sp<Id>>,
    /// For Zenlayer entries: `vm` (the default) or `zec`.
    #[schemars(with = "Option<ServiceName>")]
    pub service: Option<Sp<Id>>,
    /// postpaid (the default), prepaid or spot.
    #[schemars(with = "Option<ChargeTypeName>")]
    pub charge_type: Option<Sp<Id>>,
}

/// One kind of instance the deploy creates.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Instance")]
pub struct RawInstance {
    /// A name for the entry, unique among the plan's instances.
    pub name: Sp<Name>,
    /// jdcloud, aliyun or zenlayer; defaults to `defaults.cloud`.
    #[schemars(with = "Option<CloudName>")]
    pub cloud: Option<Sp<Id>>,
    /// The region id (for Zenlayer, the zone id); defaults to `defaults.region`.
    pub region: Option<Sp<Id>>,
    /// The image id the instances boot from.
    pub image: Sp<Id>,
    /// The instance type (JD Cloud and Alibaba) or instance config (Zenlayer).
    pub instance_type: Sp<Id>,
    /// How many instances of this kind; 1 (the default) to 1,000,000.
    pub count: Option<Sp<Whole>>,
    /// System disk size in GB, 1 to 1,000,000; checked against the image's minimum.
    pub system_disk_gb: Option<Sp<Whole>>,
    /// The system disk's category (Alibaba: `cloud_essd`, `cloud_efficiency`, …; JD Cloud: the
    /// cloud disk type, `ssd.gp1`, …, or `local`; Zenlayer: `Standard NVMe SSD`, …); checked
    /// against what the type is sold with (Alibaba: where the instances land), takes (JD
    /// Cloud), or the zone sells (Zenlayer).
    pub system_disk_category: Option<Sp<Name>>,
    /// The data disks (Alibaba; JD Cloud: the category is the cloud disk type), each a category
    /// and a size; checked against what the type is sold with (Alibaba: where the instances
    /// land, beside the system disk) or takes (JD Cloud).
    pub data_disks: Option<Sp<Vec<Sp<RawDataDisk>>>>,
    /// The availability zone (JD Cloud and Alibaba); checked for stock. For Zenlayer the
    /// region already is the zone.
    pub zone: Option<Sp<Id>>,
    /// The vSwitch the instances launch in (Alibaba): its zone is where they land, whatever
    /// `zone` says, and is checked for stock.
    pub vswitch: Option<Sp<Id>>,
    /// How the instances are bought: postpaid (the default), prepaid or spot.
    #[schemars(with = "Option<ChargeTypeName>")]
    pub charge_type: Option<Sp<Id>>,
    /// For Zenlayer: `vm` (the default) or `zec` (Zenlayer Elastic Compute).
    #[schemars(with = "Option<ServiceName>")]
    pub service: Option<Sp<Id>>,
}

/// One data disk of an instance (Alibaba).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DataDisk")]
pub struct RawDataDisk {
    /// The category (Alibaba: `cloud_essd`, `cloud_efficiency`, …; JD Cloud: `ssd.gp1`, …).
    pub category: Sp<Id>,
    /// Size in GB, 1 to 1,000,000; checked against the category's range.
    pub size_gb: Option<Sp<Whole>>,
}

/// A custom image the deploy creates.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Image")]
pub struct RawImage {
    /// A name for the entry, unique among the plan's images.
    pub name: Sp<Name>,
    /// jdcloud, aliyun or zenlayer; defaults to `defaults.cloud`.
    #[schemars(with = "Option<CloudName>")]
    pub cloud: Option<Sp<Id>>,
    /// The region id (for Zenlayer, the zone id); defaults to `defaults.region`.
    pub region: Option<Sp<Id>>,
    /// How many images of this kind; 1 (the default) to 1,000,000.
    pub count: Option<Sp<Whole>>,
    /// For Zenlayer: `vm` (the default) or `zec`.
    #[schemars(with = "Option<ServiceName>")]
    pub service: Option<Sp<Id>>,
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
            "instance @{:?} {} {} {} {} {} {} {} {} {} {} {} {} {}\n",
            i.span(file),
            sp(&Some(v.name.clone()), file),
            sp(&v.cloud, file),
            sp(&v.region, file),
            sp(&Some(v.image.clone()), file),
            sp(&Some(v.instance_type.clone()), file),
            sp(&v.count, file),
            sp(&v.system_disk_gb, file),
            sp(&v.system_disk_category, file),
            v.data_disks.as_ref().map_or("-".to_string(), |d| format!(
                "{:?}",
                d.get()
                    .iter()
                    .map(|d| (
                        sp(&Some(d.get().category.clone()), file),
                        sp(&d.get().size_gb, file)
                    ))
                    .collect::<Vec<_>>()
            )),
            sp(&v.zone, file),
            sp(&v.vswitch, file),
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
