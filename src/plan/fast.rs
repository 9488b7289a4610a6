//! A fast reader for ordinary, valid plans: it builds the raw plan straight from the YAML
//! parser's events, about twice as fast as serde-saphyr's serde layer. It gives up (returns
//! `None`) on anything it is not sure to read exactly as serde-saphyr would — anchors,
//! aliases, tags, unknown or repeated keys, missing keys, wrong types, numbers in other
//! notations, unusual plain scalars, more than one document, any parse error — and the caller
//! then parses with serde-saphyr, which also produces every diagnostic. A property test checks
//! that both readers build the same plan wherever the fast one answers.

use std::borrow::Cow;

use miette::SourceSpan;
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span};

use super::raw::{RawDefaults, RawImage, RawInstance, RawPlan, Sp, Text, Whole};

/// The plan, or `None` where serde-saphyr must read it.
pub fn read(text: &str) -> Option<RawPlan> {
    let mut r = Reader {
        events: Parser::new_from_str(text),
    };
    r.expect(|e| matches!(e, Event::StreamStart))?;
    r.expect(|e| matches!(e, Event::DocumentStart(..)))?;
    r.mapping_start()?;
    let mut plan = RawPlan {
        defaults: None,
        instances: None,
        images: None,
    };
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "defaults" if plan.defaults.is_none() => plan.defaults = Some(r.defaults()?),
            "instances" if plan.instances.is_none() => {
                plan.instances = Some(r.list(Reader::instance)?)
            }
            "images" if plan.images.is_none() => plan.images = Some(r.list(Reader::image)?),
            _ => return None,
        }
    }
    r.expect(|e| matches!(e, Event::DocumentEnd))?;
    r.expect(|e| matches!(e, Event::StreamEnd))?;
    Some(plan)
}

struct Reader<'a> {
    events: Parser<'a, serde_saphyr::granit_parser::StrInput<'a>>,
}

/// A plain scalar the fast path takes as a string: what ids and names look like. Anything
/// else (`~`, `null`, `yes`, `.inf`, `0x1F`, text with `#` or `: ` …) goes to serde-saphyr.
fn ordinary(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.*/@+".contains(c))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        )
}

fn span(s: &Span) -> Option<SourceSpan> {
    let start = s.start.byte_offset()?;
    let end = s.end.byte_offset()?;
    Some(SourceSpan::new(start.into(), end.checked_sub(start)?))
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Option<(Event<'a>, Span)> {
        self.events.next()?.ok()
    }

    fn expect(&mut self, ok: impl Fn(&Event) -> bool) -> Option<()> {
        let (e, _) = self.next()?;
        ok(&e).then_some(())
    }

    /// A block or flow mapping without anchor or tag; its span as serde-saphyr gives it.
    fn mapping_start(&mut self) -> Option<SourceSpan> {
        match self.next()? {
            (Event::MappingStart(_, 0, None), s) => span(&s),
            _ => None,
        }
    }

    /// The next key of the current mapping, or `None` inside `Some` at its end.
    fn key(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.next()? {
            (Event::MappingEnd, _) => Some(None),
            (Event::Scalar(k, ScalarStyle::Plain, 0, None), _) if ordinary(&k) => Some(Some(k)),
            _ => None,
        }
    }

    fn string<const ID: bool>(&mut self) -> Option<Sp<Text<ID>>> {
        let (event, s) = self.next()?;
        let Event::Scalar(value, style, 0, None) = event else {
            return None;
        };
        let fine = match style {
            ScalarStyle::Plain => ordinary(&value),
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => !value.contains('\n'),
            _ => false,
        };
        fine.then_some(())?;
        Some(Sp::Fast {
            value: Text(value.into_owned()),
            span: span(&s)?,
        })
    }

    fn integer(&mut self) -> Option<Sp<Whole>> {
        let (event, s) = self.next()?;
        let Event::Scalar(value, ScalarStyle::Plain, 0, None) = event else {
            return None;
        };
        let digits = value.strip_prefix('-').unwrap_or(&value);
        if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Sp::Fast {
            value: Whole(value.parse().ok()?),
            span: span(&s)?,
        })
    }

    fn defaults(&mut self) -> Option<RawDefaults> {
        self.mapping_start()?;
        let mut d = RawDefaults {
            cloud: None,
            region: None,
            service: None,
            charge_type: None,
        };
        while let Some(key) = self.key()? {
            match key.as_ref() {
                "cloud" if d.cloud.is_none() => d.cloud = Some(self.string()?),
                "region" if d.region.is_none() => d.region = Some(self.string()?),
                "service" if d.service.is_none() => d.service = Some(self.string()?),
                "charge_type" if d.charge_type.is_none() => d.charge_type = Some(self.string()?),
                _ => return None,
            }
        }
        Some(d)
    }

    fn list<T>(&mut self, item: fn(&mut Self) -> Option<Sp<T>>) -> Option<Sp<Vec<Sp<T>>>> {
        let (event, s) = self.next()?;
        let Event::SequenceStart(_, 0, None) = event else {
            return None;
        };
        let list_span = span(&s)?;
        let mut items = Vec::new();
        loop {
            match self.events.peek()? {
                Ok((Event::SequenceEnd, _)) => {
                    self.next()?;
                    return Some(Sp::Fast {
                        value: items,
                        span: list_span,
                    });
                }
                Ok(_) => items.push(item(self)?),
                Err(_) => return None,
            }
        }
    }

    fn instance(&mut self) -> Option<Sp<RawInstance>> {
        let at = self.mapping_start()?;
        let (mut name, mut cloud, mut region, mut image, mut instance_type) =
            (None, None, None, None, None);
        let (mut count, mut system_disk_gb, mut system_disk_category) = (None, None, None);
        let (mut zone, mut vswitch, mut charge_type, mut service) = (None, None, None, None);
        while let Some(key) = self.key()? {
            match key.as_ref() {
                "name" if name.is_none() => name = Some(self.string()?),
                "cloud" if cloud.is_none() => cloud = Some(self.string()?),
                "region" if region.is_none() => region = Some(self.string()?),
                "image" if image.is_none() => image = Some(self.string()?),
                "instance_type" if instance_type.is_none() => instance_type = Some(self.string()?),
                "count" if count.is_none() => count = Some(self.integer()?),
                "system_disk_gb" if system_disk_gb.is_none() => {
                    system_disk_gb = Some(self.integer()?)
                }
                "system_disk_category" if system_disk_category.is_none() => {
                    system_disk_category = Some(self.string()?)
                }
                "zone" if zone.is_none() => zone = Some(self.string()?),
                "vswitch" if vswitch.is_none() => vswitch = Some(self.string()?),
                "charge_type" if charge_type.is_none() => charge_type = Some(self.string()?),
                "service" if service.is_none() => service = Some(self.string()?),
                _ => return None,
            }
        }
        Some(Sp::Fast {
            value: RawInstance {
                name: name?,
                cloud,
                region,
                image: image?,
                instance_type: instance_type?,
                count,
                system_disk_gb,
                system_disk_category,
                data_disks: None,
                zone,
                vswitch,
                charge_type,
                service,
            },
            span: at,
        })
    }

    fn image(&mut self) -> Option<Sp<RawImage>> {
        let at = self.mapping_start()?;
        let (mut name, mut cloud, mut region, mut count) = (None, None, None, None);
        let mut service = None;
        while let Some(key) = self.key()? {
            match key.as_ref() {
                "name" if name.is_none() => name = Some(self.string()?),
                "cloud" if cloud.is_none() => cloud = Some(self.string()?),
                "region" if region.is_none() => region = Some(self.string()?),
                "count" if count.is_none() => count = Some(self.integer()?),
                "service" if service.is_none() => service = Some(self.string()?),
                _ => return None,
            }
        }
        Some(Sp::Fast {
            value: RawImage {
                name: name?,
                cloud,
                region,
                count,
                service,
            },
            span: at,
        })
    }
}
