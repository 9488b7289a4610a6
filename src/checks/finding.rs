//! Findings about plan entries: the constructors the checks use, beside them. Each fills in
//! what a report shows of the entry (its name, cloud, region, image and type, the line a
//! suppression comment goes above) and points at the places that explain the value (a
//! variable's default, the module call that passed it).

use miette::SourceSpan;

use crate::diagnostic::{Diagnostic, Severity};
use crate::plan::{ImageCreate, Instance, Origin, Side, Unchecked};

/// `module.web.alicloud_instance.app[1]: <message>` where messages name their entry.
fn named(name: &str, named: bool, message: String) -> String {
    if named && !message.contains(&format!("`{name}`")) {
        format!("{name}: {message}")
    } else {
        message
    }
}

impl Diagnostic {
    /// A finding about an instance entry, at `span`.
    pub fn for_instance(
        rule: &str,
        severity: Severity,
        instance: &Instance,
        span: SourceSpan,
        message: String,
        label: impl Into<String>,
    ) -> Self {
        let message = named(&instance.name.value, instance.named_in_messages, message);
        let mut d =
            Diagnostic::in_entry(rule, severity, &instance.file, span, message, label.into());
        for origin in instance.origins.iter().filter(|o| o.of == span) {
            d.point_at(origin);
        }
        for caller in &instance.callers {
            d.point_at(caller);
        }
        d.cloud = instance.cloud.value.to_string();
        d.region = instance.region.value.clone();
        d.image = instance
            .knows(Side::Image)
            .then(|| instance.image.value.clone());
        d.instance_type = instance
            .knows(Side::InstanceType)
            .then(|| instance.instance_type.value.clone());
        d.zone = instance.zone.as_ref().map(|z| z.value.clone());
        d.charge_type = Some(instance.charge().to_string());
        d.entry = instance.name.value.clone();
        d.entry_line = instance.line;
        d
    }

    /// A finding about a custom-image entry, at its name.
    pub fn for_image_create(
        rule: &str,
        severity: Severity,
        image: &ImageCreate,
        message: String,
        label: impl Into<String>,
    ) -> Self {
        let message = named(&image.name.value, image.named_in_messages, message);
        let mut d = Diagnostic::in_entry(
            rule,
            severity,
            &image.file,
            image.name.span,
            message,
            label.into(),
        );
        d.cloud = image.cloud.value.to_string();
        d.region = image.region.value.clone();
        d.entry = image.name.value.clone();
        d.entry_line = image.line;
        d
    }

    /// The `unverified` finding of an entry that cannot be checked as written.
    pub fn for_unchecked(rule: &str, severity: Severity, entry: &Unchecked) -> Self {
        let mut d = Diagnostic::in_entry(
            rule,
            severity,
            &entry.file,
            entry.name.span,
            format!("could not check `{}`: {}", entry.name.value, entry.reason),
            "not verified".to_string(),
        );
        d.cloud = entry.cloud.map(|c| c.to_string()).unwrap_or_default();
        d.region = entry.region.clone().unwrap_or_default();
        d.image = entry.image.clone();
        d.instance_type = entry.instance_type.clone();
        d.entry = entry.name.value.clone();
        d.entry_line = entry.line;
        d.unverified = true;
        d.cause = Some(entry.reason.clone());
        for origin in &entry.origins {
            d.point_at(origin);
        }
        d.with_help(entry.help.clone())
    }

    /// Shows a place that explains the finding: beside it in its own file, else as a snippet
    /// of the other file. A place already shown is not shown twice.
    pub fn point_at(&mut self, origin: &Origin) {
        if origin.file.name() == self.file.name() {
            if origin.span != self.span && !self.related.iter().any(|(s, _)| *s == origin.span) {
                self.related.push((origin.span, origin.label.clone()));
            }
        } else if !self
            .elsewhere
            .iter()
            .any(|(f, s, _)| f.name() == origin.file.name() && *s == origin.span)
        {
            self.elsewhere
                .push((origin.file.clone(), origin.span, origin.label.clone()));
        }
    }
}
