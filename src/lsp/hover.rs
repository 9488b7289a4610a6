//! Hover on an image or instance type value: what the facts at hand say about it. Completion of
//! the instance types the entry's region offers, those its image allows first.

use std::path::Path;

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse, CompletionTextEdit,
    Hover, HoverContents, HoverParams, MarkupContent, MarkupKind, Range, TextEdit,
};

use super::{Server, Unit, convert};
use crate::checks::{Pairing, family};
use crate::facts::{Constraint, Facts, ImageState};
use crate::files::overlay_key;
use crate::plan::{Instance, Plan, Side};

/// The instance in `plans` written in `path` whose entry holds 1-based `line`: the one that
/// starts last at or above it.
fn entry_at<'a>(plans: &'a [Plan], path: &Path, line: usize) -> Option<(&'a Plan, &'a Instance)> {
    plans
        .iter()
        .flat_map(|p| p.instances.iter().map(move |i| (p, i)))
        .filter(|(_, i)| overlay_key(Path::new(i.file.name())) == path && i.line <= line)
        .max_by_key(|(_, i)| i.line)
}

fn contains(span: miette::SourceSpan, offset: usize) -> bool {
    span.offset() <= offset && offset <= span.offset() + span.len()
}

/// A short list of names, with how many more there are.
fn some_of<'a>(names: impl Iterator<Item = &'a String>, most: usize) -> String {
    let all: Vec<&String> = names.collect();
    let mut shown: Vec<String> = all.iter().take(most).map(|n| format!("`{n}`")).collect();
    if all.len() > most {
        shown.push(format!("and {} more", all.len() - most));
    }
    if shown.is_empty() {
        "none".to_string()
    } else {
        shown.join(", ")
    }
}

fn image_text(pairing: &Pairing) -> String {
    let i = pairing.instance;
    let api = i.api();
    let region = &i.region.value;
    let mut out = format!(
        "**image `{}`** in {} {} `{region}`\n\n",
        i.image.value,
        api.display_name(),
        api.region_word()
    );
    match pairing.facts.image(api, region, &i.image.value) {
        Err(missing) => out.push_str(&format!("Not known: {}.", missing.0)),
        Ok(ImageState::NotFound) => out.push_str("Does not exist in this region."),
        Ok(ImageState::Found(info)) => {
            out.push_str(&format!(
                "- status: `{}` ({})\n",
                info.status,
                if info.usable {
                    "new instances can boot from it"
                } else {
                    "not usable for new instances"
                }
            ));
            if let Some(arch) = info.architecture {
                out.push_str(&format!("- architecture: {arch}\n"));
            }
            if let Some(gb) = info.min_system_disk_gb {
                out.push_str(&format!("- minimum system disk: {gb} GB\n"));
            }
            let constraint = match &info.constraint {
                None if !api.knows_image_constraints() => format!(
                    "{} has no API that says which instance types an image allows",
                    api.display_name()
                ),
                None => "not in the facts".to_string(),
                Some(Constraint::None) => "every instance type".to_string(),
                Some(Constraint::Excludes(set)) => {
                    format!("every type but {}", some_of(set.iter(), 8))
                }
                Some(Constraint::Includes(set)) => format!("only {}", some_of(set.iter(), 8)),
                Some(Constraint::Error(why)) => format!("could not be fetched: {why}"),
            };
            out.push_str(&format!("- allows: {constraint}\n"));
            family_line(pairing, &mut out);
        }
    }
    out
}

fn family_line(pairing: &Pairing, out: &mut String) {
    let wanted = &pairing.instance.instance_type.value;
    if pairing.constraint().is_some() {
        let mut allowed = pairing.allowed_in_family();
        let offered = pairing
            .facts
            .instance_type(pairing.api(), pairing.region(), wanted)
            .is_ok_and(|t| t.is_some());
        if offered && pairing.image_allows(wanted) == Some(true) {
            allowed.insert(0, wanted.clone());
        }
        out.push_str(&format!(
            "- of family `{}`, it allows: {}\n",
            family(wanted),
            some_of(allowed.iter(), 8)
        ));
    }
}

fn type_text(pairing: &Pairing) -> String {
    let i = pairing.instance;
    let api = i.api();
    let region = &i.region.value;
    let name = &i.instance_type.value;
    let mut out = format!(
        "**instance type `{name}`** in {} {} `{region}`\n\n",
        api.display_name(),
        api.region_word()
    );
    match pairing.facts.instance_type(api, region, name) {
        Err(missing) => out.push_str(&format!("- offered: not known ({})\n", missing.0)),
        Ok(None) => out.push_str("- offered: no, the region does not sell it\n"),
        Ok(Some(info)) => {
            out.push_str("- offered: yes\n");
            if let Some(arch) = info.architecture {
                out.push_str(&format!("- architecture: {arch}\n"));
            }
        }
    }
    if i.knows(Side::Image) {
        let verdict = match pairing.image_allows(name) {
            Some(true) => "yes",
            Some(false) => "no",
            None => "not known",
        };
        out.push_str(&format!(
            "- image `{}` allows it: {verdict}\n",
            i.image.value
        ));
        family_line(pairing, &mut out);
    }
    out
}

impl Server {
    /// The run to read plans from: the last one that parsed, while the text does not.
    fn readable(unit: &Unit) -> &crate::pipeline::Validated {
        match &unit.last_good {
            Some(good) if unit.run.plans.is_empty() => good,
            _ => &unit.run,
        }
    }

    pub(super) fn hover(&self, params: &HoverParams) -> Option<Hover> {
        let at = &params.text_document_position_params;
        let path = convert::path_of(&at.text_document.uri)?;
        for unit in self.units.values() {
            let run = &unit.run;
            for plan in &run.plans {
                for i in &plan.instances {
                    if overlay_key(Path::new(i.file.name())) != path {
                        continue;
                    }
                    let offset = self.encoding.offset(&i.file, at.position);
                    let pairing = Pairing {
                        plan,
                        instance: i,
                        facts: &run.facts,
                    };
                    let (text, span) = if i.knows(Side::Image) && contains(i.image.span, offset) {
                        (image_text(&pairing), i.image.span)
                    } else if i.knows(Side::InstanceType) && contains(i.instance_type.span, offset)
                    {
                        (type_text(&pairing), i.instance_type.span)
                    } else {
                        continue;
                    };
                    return Some(Hover {
                        contents: HoverContents::Markup(MarkupContent {
                            kind: MarkupKind::Markdown,
                            value: text,
                        }),
                        range: Some(self.encoding.range(&i.file, span)),
                    });
                }
            }
        }
        None
    }

    pub(super) fn completion(&self, params: &CompletionParams) -> Option<CompletionResponse> {
        let at = &params.text_document_position;
        let path = convert::path_of(&at.text_document.uri)?;
        let doc = self.docs.get(&path)?;
        let source = super::diagnose::source_of(&path, &doc.text);
        let offset = self.encoding.offset(&source, at.position);
        let line_no = source.line_of(offset);
        let line = source.line_text(line_no);
        let line_start = source.offset_of(line_no, 1);
        let before = &line[..(offset - line_start).min(line.len())];
        // `instance_type: g.n4.`, `instance_type = "g.n4.`: the value typed so far.
        let key_end = before.find("instance_type")? + "instance_type".len();
        let rest = before[key_end..].trim_start();
        let rest = rest
            .strip_prefix(':')
            .or_else(|| rest.strip_prefix('='))?
            .trim_start();
        let typed = rest.trim_start_matches(['"', '\'']);
        let typed_start = offset - typed.len();
        let unit = self.units.get(&path)?;
        let run = Self::readable(unit);
        let (plan, instance) = entry_at(&run.plans, &path, line_no)?;
        let items = completions(plan, instance, &run.facts)?;
        let range = Range::new(
            self.encoding
                .position(&source, source.position(typed_start)),
            at.position,
        );
        let items = items
            .into_iter()
            .map(|(name, detail, rank)| CompletionItem {
                label: name.clone(),
                kind: Some(CompletionItemKind::VALUE),
                detail: Some(detail),
                sort_text: Some(format!("{rank}{name}")),
                filter_text: Some(name.clone()),
                text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                    range,
                    new_text: name,
                })),
                ..CompletionItem::default()
            })
            .collect();
        Some(CompletionResponse::Array(items))
    }
}

/// The types the entry's region offers, as (name, detail, rank): those the image allows
/// first (rank 0), then those it is not known to (1), then those it excludes (2).
fn completions(
    plan: &Plan,
    instance: &Instance,
    facts: &Facts,
) -> Option<Vec<(String, String, u8)>> {
    let api = instance.api();
    let region = &instance.region.value;
    let types = facts
        .region(api, region)
        .ok()?
        .instance_types(api, region)
        .ok()?;
    let pairing = Pairing {
        plan,
        instance,
        facts,
    };
    let image = &instance.image.value;
    Some(
        types
            .offered
            .iter()
            .map(|(name, info)| {
                let arch = info
                    .architecture
                    .map(|a| format!(", {a}"))
                    .unwrap_or_default();
                let (rank, verdict) = match pairing.image_allows(name) {
                    Some(true) => (0, format!("allowed by {image}")),
                    Some(false) => (2, format!("excluded by {image}")),
                    None => (1, "offered".to_string()),
                };
                (name.clone(), format!("{verdict}{arch}"), rank)
            })
            .collect(),
    )
}
