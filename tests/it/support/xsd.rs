//! Validates an XML document against an XML Schema of the shape Jenkins' `junit-10.xsd` has:
//! global `xs:element`s (by `type="xs:string"`, a named `xs:complexType`, or an inline one),
//! complex types with `mixed`, `xs:attribute`s (`use="required"`, `xs:string` or a named
//! `xs:simpleType` with an `xs:pattern`), and children in `xs:sequence` / `xs:choice` of
//! `xs:element ref=…`. It reads the schema file, so the test checks against what the schema
//! says, not against a copy of its rules. Child order is not checked: every ordered sequence
//! in junit-10.xsd that a report uses holds one element kind. Anything else in the schema is
//! refused, so a schema this cannot read fails the test instead of passing it.

// Each test binary uses a part of this.
#![allow(dead_code)]

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

#[derive(Debug, Default, Clone)]
struct ElementType {
    /// (name, required, pattern of its simple type)
    attributes: Vec<(String, bool, Option<String>)>,
    children: Vec<String>,
    mixed: bool,
    text_only: bool,
}

pub struct Schema {
    elements: HashMap<String, ElementType>,
}

fn name_of(e: &BytesStart) -> String {
    String::from_utf8_lossy(e.name().as_ref()).into_owned()
}

/// A parsed element: name, attributes, children, whether it has non-blank text.
#[derive(Debug)]
struct Node {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Node>,
    text: bool,
}

fn parse(xml: &str) -> Result<Node, String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = Vec::new();
    let open = |e: &BytesStart| -> Result<Node, String> {
        let mut attributes = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|e| e.to_string())?;
            let value = a
                .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                .map_err(|e| e.to_string())?;
            attributes.push((
                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                value.into_owned(),
            ));
        }
        Ok(Node {
            name: name_of(e),
            attributes,
            children: Vec::new(),
            text: false,
        })
    };
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => stack.push(open(&e)?),
            Event::Empty(e) => {
                let node = open(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or("an end tag without a start")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| e.to_string())?;
                if let Some(top) = stack.last_mut()
                    && !text.trim().is_empty()
                {
                    top.text = true;
                }
            }
            Event::GeneralRef(_) | Event::CData(_) => {
                if let Some(top) = stack.last_mut() {
                    top.text = true;
                }
            }
            Event::Eof => return Err("the document ends before its root element does".into()),
            _ => {}
        }
    }
}

impl Schema {
    pub fn read(xsd: &str) -> Schema {
        let root = parse(xsd).expect("the schema is well-formed XML");
        assert_eq!(root.name, "xs:schema");
        let patterns: HashMap<String, String> = root
            .children
            .iter()
            .filter(|n| n.name == "xs:simpleType")
            .map(|n| {
                let restriction = &n.children[0];
                assert_eq!(restriction.name, "xs:restriction");
                let pattern = restriction
                    .children
                    .iter()
                    .find(|c| c.name == "xs:pattern")
                    .and_then(|p| get(p, "value"))
                    .expect("a pattern");
                (get(n, "name").expect("a name"), pattern)
            })
            .collect();
        let types: HashMap<String, ElementType> = root
            .children
            .iter()
            .filter(|n| n.name == "xs:complexType")
            .map(|n| (get(n, "name").expect("a name"), complex(n, &patterns)))
            .collect();
        let mut elements = HashMap::new();
        for n in root.children.iter().filter(|n| n.name == "xs:element") {
            let name = get(n, "name").expect("a global element has a name");
            let ty = match (get(n, "type"), n.children.first()) {
                (Some(t), _) if t == "xs:string" => ElementType {
                    text_only: true,
                    ..Default::default()
                },
                (Some(t), _) => types.get(&t).cloned().unwrap_or_else(|| panic!("type {t}")),
                (None, Some(c)) if c.name == "xs:complexType" => complex(c, &patterns),
                other => panic!("element {name}: not read: {other:?}"),
            };
            elements.insert(name, ty);
        }
        for n in &root.children {
            assert!(
                ["xs:simpleType", "xs:complexType", "xs:element"].contains(&n.name.as_str()),
                "not read: {}",
                n.name
            );
        }
        Schema { elements }
    }

    /// Every problem with `xml`; `extra` attributes (element, attribute) are allowed on top.
    pub fn problems(&self, xml: &str, extra: &[(&str, &str)]) -> Vec<String> {
        let root = match parse(xml) {
            Ok(root) => root,
            Err(e) => return vec![format!("not well-formed: {e}")],
        };
        let mut problems = Vec::new();
        self.check(&root, extra, &mut problems);
        problems
    }

    fn check(&self, node: &Node, extra: &[(&str, &str)], problems: &mut Vec<String>) {
        let Some(ty) = self.elements.get(&node.name) else {
            problems.push(format!("<{}> is not declared", node.name));
            return;
        };
        for (key, value) in &node.attributes {
            match ty.attributes.iter().find(|(n, _, _)| n == key) {
                Some((_, _, Some(pattern))) => {
                    let re = regex::Regex::new(&format!("^(?:{pattern})$")).expect("pattern");
                    if !re.is_match(value) {
                        problems.push(format!(
                            "<{}> {key}=\"{value}\" breaks {pattern}",
                            node.name
                        ));
                    }
                }
                Some(_) => {}
                None if extra.contains(&(node.name.as_str(), key.as_str())) => {}
                None => problems.push(format!("<{}> has no attribute {key}", node.name)),
            }
        }
        for (name, required, _) in &ty.attributes {
            if *required && !node.attributes.iter().any(|(k, _)| k == name) {
                problems.push(format!("<{}> lacks required {name}", node.name));
            }
        }
        if node.text && !ty.mixed && !ty.text_only {
            problems.push(format!("<{}> may not hold text", node.name));
        }
        for child in &node.children {
            if ty.text_only || !ty.children.contains(&child.name) {
                problems.push(format!("<{}> may not hold <{}>", node.name, child.name));
            }
            self.check(child, extra, problems);
        }
    }
}

fn get(n: &Node, key: &str) -> Option<String> {
    n.attributes
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

fn complex(n: &Node, patterns: &HashMap<String, String>) -> ElementType {
    let mut ty = ElementType {
        mixed: get(n, "mixed").as_deref() == Some("true"),
        ..Default::default()
    };
    fn walk(n: &Node, ty: &mut ElementType, patterns: &HashMap<String, String>) {
        for c in &n.children {
            match c.name.as_str() {
                "xs:sequence" | "xs:choice" => walk(c, ty, patterns),
                "xs:element" => ty
                    .children
                    .push(get(c, "ref").or_else(|| get(c, "name")).expect("ref")),
                "xs:attribute" => {
                    let pattern = get(c, "type").and_then(|t| patterns.get(&t).cloned());
                    ty.attributes.push((
                        get(c, "name").expect("name"),
                        get(c, "use").as_deref() == Some("required"),
                        pattern,
                    ));
                }
                other => panic!("not read in a complex type: {other}"),
            }
        }
    }
    walk(n, &mut ty, patterns);
    ty
}
