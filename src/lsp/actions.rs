//! Code actions on preflight's findings: the fixes the finding already knows (the same ones
//! `validate --fix` applies), a `preflight-ignore` comment with a reason to fill in, and, for
//! what could not be checked, asking the clouds in the background.

use std::collections::HashMap;
use std::path::Path;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Command,
    ExecuteCommandParams, Position, Range, TextEdit, WorkspaceEdit,
};

use super::diagnose::{self, finding};
use super::{FETCH_COMMAND, Server, convert};
use crate::diagnostic::Diagnostic;

/// What the suppression comment says until its writer says why.
pub const REASON_PLACEHOLDER: &str = "TODO: say why this is safe";

fn overlaps(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

impl Server {
    pub(super) fn code_actions(&self, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Vec::new();
        };
        let uri = params.text_document.uri.clone();
        let mut actions: Vec<CodeAction> = Vec::new();
        for unit in self.units.values() {
            for d in &unit.run.report.diagnostics {
                if !diagnose::is_in(d, &path) {
                    continue;
                }
                // Asked about by range, or by the diagnostics the client sends along (Neovim
                // sends the cursor's line's, with the cursor as the range).
                let range = diagnose::range_of(d, self.encoding);
                let named = params.context.diagnostics.iter().any(|c| {
                    c.range == range
                        && c.code == Some(lsp_types::NumberOrString::String(d.rule.clone()))
                });
                if !named && !overlaps(range, params.range) {
                    continue;
                }
                let shown = finding(d, self.encoding);
                for (i, fix) in d.fixes.iter().enumerate() {
                    let edit = TextEdit {
                        range: self.encoding.range(&d.file, fix.span),
                        new_text: fix.replacement.clone(),
                    };
                    actions.push(CodeAction {
                        title: fix.title.clone(),
                        kind: Some(CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![shown.clone()]),
                        edit: Some(WorkspaceEdit {
                            changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                            ..WorkspaceEdit::default()
                        }),
                        is_preferred: Some(i == 0),
                        ..CodeAction::default()
                    });
                }
                if d.needs_facts && !self.settings.offline && self.settings.facts.is_none() {
                    actions.push(CodeAction {
                        title: "Ask the clouds for the facts this plan needs (in the background)"
                            .to_string(),
                        kind: Some(CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![shown.clone()]),
                        command: Some(Command {
                            title: "Ask the clouds".to_string(),
                            command: FETCH_COMMAND.to_string(),
                            arguments: Some(vec![serde_json::json!(uri.as_str())]),
                        }),
                        ..CodeAction::default()
                    });
                }
                if let Some(edit) = suppression(d) {
                    actions.push(CodeAction {
                        title: format!("Suppress `{}` for `{}`, with a reason", d.rule, d.entry),
                        kind: Some(CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![shown.clone()]),
                        edit: Some(WorkspaceEdit {
                            changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                            ..WorkspaceEdit::default()
                        }),
                        ..CodeAction::default()
                    });
                }
            }
        }
        // A finding two units share (a `.tf` file and the module around it) is offered once.
        let mut seen = std::collections::HashSet::new();
        actions
            .retain(|a| seen.insert((a.title.clone(), a.diagnostics.clone().map(|d| d[0].range))));
        actions
            .into_iter()
            .map(CodeActionOrCommand::CodeAction)
            .collect()
    }

    /// `workspace/executeCommand`: only the fetch.
    pub(super) fn execute(&mut self, params: &ExecuteCommandParams) -> Option<serde_json::Value> {
        if params.command != FETCH_COMMAND {
            return None;
        }
        let path = params
            .arguments
            .first()
            .and_then(serde_json::Value::as_str)
            .and_then(|s| s.parse().ok())
            .and_then(|uri| convert::path_of(&uri));
        match path {
            Some(path) => self.start_fetch(&path),
            None => {
                // No document named: every checked one.
                let all: Vec<_> = self.units.keys().cloned().collect();
                if let Some(first) = all.first() {
                    self.start_fetch(first);
                }
            }
        }
        None
    }
}

/// A `# preflight-ignore: RULE -- reason` line above the finding's entry, indented like it,
/// in files that have `#` comments (plan YAML, `.tf`).
fn suppression(d: &Diagnostic) -> Option<TextEdit> {
    let name = Path::new(d.file.name()).extension()?.to_str()?;
    if !["yaml", "yml", "tf"].contains(&name) {
        return None;
    }
    let line = d.file.line_text(d.entry_line);
    let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
    let newline = if d.file.text().contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let at = Position::new(d.entry_line.saturating_sub(1) as u32, 0);
    Some(TextEdit {
        range: Range::new(at, at),
        new_text: format!(
            "{indent}# preflight-ignore: {} -- {REASON_PLACEHOLDER}{newline}",
            d.rule
        ),
    })
}
