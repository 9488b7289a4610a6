//! What a rule checks: one instance entry with the facts about it (`Pairing`), and the custom
//! images all plans create in one region (`RegionImages`), with the questions rules ask of
//! them (the image's constraint, the region's offer, a fix where the value is written).

use crate::cloud::{Api, ChargeType};
use crate::diagnostic::{Diagnostic, Fix};
use crate::facts::{Constraint, Facts, ImageInfo, ImageState};
use crate::plan::{ImageCreate, Instance, Plan, Side};

use super::Rule;

/// The zone an entry's instances land in, and what says so.
pub struct PlannedZone<'a> {
    pub value: &'a str,
    /// Where it is written: the zone, or the vSwitch it comes from.
    pub span: miette::SourceSpan,
    /// The vSwitch whose zone it is.
    pub vswitch: Option<&'a str>,
}

impl PlannedZone<'_> {
    /// "zone `cn-hangzhou-i`", or "zone `cn-hangzhou-i` (vSwitch `vsw-1`'s)".
    pub fn describe(&self) -> String {
        match self.vswitch {
            Some(v) => format!("zone `{}` (vSwitch `{v}`'s)", self.value),
            None => format!("zone `{}`", self.value),
        }
    }

    /// The label at where it is written.
    pub fn label(&self) -> String {
        match self.vswitch {
            Some(_) => format!("its vSwitch is in `{}`", self.value),
            None => "planned in this zone".to_string(),
        }
    }
}

/// Where an entry's instances may land, as the checks of stock and disks judge it.
pub enum Landing<'a> {
    /// One zone: the vSwitch's, or the one written.
    Zone(PlannedZone<'a>),
    /// A scaling configuration: any zone of its group's vSwitches (those that exist), the
    /// group named at `span`.
    Group {
        zones: Vec<&'a str>,
        span: miette::SourceSpan,
    },
    /// Anywhere in the region: nothing says where.
    Region,
}

/// One instance entry with the facts about it.
pub struct Pairing<'a> {
    pub plan: &'a Plan,
    pub instance: &'a Instance,
    pub facts: &'a Facts,
}

impl Pairing<'_> {
    /// The API that answers for the entry.
    pub fn api(&self) -> Api {
        self.instance.api()
    }

    pub fn region(&self) -> &str {
        &self.instance.region.value
    }

    pub fn charge(&self) -> ChargeType {
        self.instance.charge()
    }

    /// Whether a rule can run on this pairing: every side its facts are about is known.
    pub fn can_check(&self, rule: &Rule) -> bool {
        rule.needs
            .iter()
            .flat_map(|n| n.sides())
            .all(|side| self.instance.knows(*side))
    }

    /// The image, when the facts say it exists.
    pub fn image(&self) -> Option<&ImageInfo> {
        if !self.instance.knows(Side::Image) {
            return None;
        }
        match self
            .facts
            .image(self.api(), self.region(), &self.instance.image.value)
        {
            Ok(ImageState::Found(info)) => Some(info),
            _ => None,
        }
    }

    /// Where the instances land: the zone of the entry's vSwitch (Alibaba: with a vSwitch,
    /// `availability_zone` is ignored), else the zone the entry names. `Ok(None)` when neither
    /// says (or the vSwitch does not exist): the region's answer applies. `Err` when the
    /// vSwitch's zone could not be looked up.
    pub fn zone(&self) -> Result<Option<PlannedZone<'_>>, crate::facts::Missing> {
        if let Some(vswitch) = &self.instance.vswitch {
            return Ok(self
                .facts
                .vswitch(self.api(), self.region(), &vswitch.value)?
                .map(|info| PlannedZone {
                    value: &info.zone,
                    span: vswitch.span,
                    vswitch: Some(&vswitch.value),
                }));
        }
        Ok(self.instance.zone.as_ref().map(|zone| PlannedZone {
            value: &zone.value,
            span: zone.span,
            vswitch: None,
        }))
    }

    /// Where the instances may land: a scaling group's zones, else the planned zone, else the
    /// region (a group whose vSwitches all do not exist says nothing). `Err` when a vSwitch's
    /// zone could not be looked up.
    pub fn landing(&self) -> Result<Landing<'_>, crate::facts::Missing> {
        if let Some((zones, span)) = self.group_zones()?.filter(|(z, _)| !z.is_empty()) {
            return Ok(Landing::Group { zones, span });
        }
        Ok(self.zone()?.map_or(Landing::Region, Landing::Zone))
    }

    /// The zones a scaling configuration may launch in: those of its group's vSwitches (the
    /// ones that exist), with where the group is named; `None` without a group.
    pub fn group_zones(
        &self,
    ) -> Result<Option<(Vec<&str>, miette::SourceSpan)>, crate::facts::Missing> {
        let Some(group) = &self.instance.group_vswitches else {
            return Ok(None);
        };
        let mut zones = Vec::new();
        for id in &group.value {
            if let Some(info) = self.facts.vswitch(self.api(), self.region(), id)? {
                zones.push(info.zone.as_str());
            }
        }
        zones.sort_unstable();
        zones.dedup();
        Ok(Some((zones, group.span)))
    }

    /// The image's constraint, when the cloud has them and the facts know it.
    pub fn constraint(&self) -> Option<&Constraint> {
        if !self.api().knows_image_constraints() {
            return None;
        }
        self.facts
            .constraint(self.api(), self.region(), &self.instance.image.value)
            .ok()
    }

    /// A finding of `rule` at `span`.
    pub fn diagnostic(
        &self,
        rule: &Rule,
        span: miette::SourceSpan,
        message: String,
        label: impl Into<String>,
    ) -> Diagnostic {
        let mut d =
            Diagnostic::for_instance(rule.id, rule.severity, self.instance, span, message, label);
        // Where the instances land: with a vSwitch, its zone.
        if let Ok(Some(zone)) = self.zone() {
            d.zone = Some(zone.value.to_string());
        }
        d
    }

    /// A fix that writes `value` where the entry's value at `span` is written, when that is
    /// a literal in a YAML plan or a `.tf` file: never where the value came through a variable
    /// or a module argument (the edit would belong there), never in plan JSON (Terraform
    /// writes it). The value keeps the quoting it was written with, and in YAML the edit
    /// covers the scalar's own bytes only (`plan::scalar`).
    pub fn fix(
        &self,
        span: miette::SourceSpan,
        value: &str,
        title: String,
        safe: bool,
    ) -> Option<Fix> {
        let file = &self.instance.file;
        let written = file.text().get(span.offset()..span.offset() + span.len())?;
        if self.instance.origins.iter().any(|o| o.of == span) {
            return None;
        }
        let name = file.name();
        let number = value.bytes().all(|b| b.is_ascii_digit());
        let (span, replacement) = if name.ends_with(".yaml") || name.ends_with(".yml") {
            // Only the scalar's own bytes: a block scalar's span runs on to the next key.
            let (own, style) = crate::plan::scalar::locate(written)?;
            let replacement = crate::plan::scalar::render(value, style)?;
            let start = span.offset() + own.start;
            (
                miette::SourceSpan::new(start.into(), own.len()),
                replacement,
            )
        } else if name.ends_with(".tf") || name.ends_with(".tofu") {
            let literal_text = written.len() >= 2
                && written.starts_with('"')
                && written.ends_with('"')
                && !written.contains("${")
                && !written[1..written.len() - 1].contains('"');
            let literal_number = written.bytes().all(|b| b.is_ascii_digit());
            match (number, literal_text, literal_number) {
                (true, _, true) => (span, value.to_string()),
                (false, true, _) => (span, format!("\"{value}\"")),
                _ => return None,
            }
        } else {
            return None;
        };
        Some(Fix {
            title,
            span,
            replacement,
            safe,
        })
    }

    /// Whether the image allows `instance_type`, when the facts can tell.
    pub fn image_allows(&self, instance_type: &str) -> Option<bool> {
        self.constraint()?.allows(instance_type)
    }

    /// Instance types of the same family as the entry's that the region offers and the
    /// image allows, for help text. Empty when the facts cannot tell.
    pub fn allowed_in_family(&self) -> Vec<String> {
        let wanted = &self.instance.instance_type.value;
        let wanted_family = family(wanted);
        let Some(constraint) = self.constraint() else {
            return Vec::new();
        };
        let offered = match self.facts.region(self.api(), self.region()) {
            Ok(region) => match &region.instance_types {
                Some(crate::facts::Fetched::Known(t)) => Some(t),
                _ => None,
            },
            Err(_) => None,
        };
        let candidates: Vec<&String> = match (constraint, offered) {
            (Constraint::Includes(allowed), None) => allowed.iter().collect(),
            (_, Some(types)) => types.offered.keys().collect(),
            _ => Vec::new(),
        };
        candidates
            .into_iter()
            .filter(|t| family(t) == wanted_family && *t != wanted)
            .filter(|t| constraint.allows(t) == Some(true))
            .take(5)
            .cloned()
            .collect()
    }
}

/// `g.n4` for `g.n4.xlarge`, `ecs.g7` for `ecs.g7.large`.
pub fn family(instance_type: &str) -> &str {
    instance_type
        .rsplit_once('.')
        .map_or(instance_type, |(f, _)| f)
}

/// The custom images every plan creates in one region, in plan order.
pub struct RegionImages<'a> {
    pub api: Api,
    pub region: &'a str,
    pub entries: Vec<&'a ImageCreate>,
    /// Custom images the plans delete there (Terraform plans), freeing quota.
    pub freed: u64,
    pub facts: &'a Facts,
}
