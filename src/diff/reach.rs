//! Who may reach whom in a template, from its security-group ingress rules alone (the
//! `AWS::EC2::SecurityGroupIngress` resources and the groups' inline `SecurityGroupIngress`):
//! minimal and self-contained, for `diff` to compare two templates.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// A source (a group's logical ID, a group ID, a CIDR or a prefix list) allowed into a
/// destination group on some ports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub ports: String,
}

/// A group or source as a reader knows it: the logical ID behind `Ref` or `GetAtt`, else the
/// value itself.
fn name(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        _ => v
            .get("Ref")
            .or_else(|| v.get("Fn::GetAtt").and_then(|a| a.get(0)))
            .and_then(Value::as_str)
            .map_or_else(|| v.to_string(), String::from),
    }
}

fn edge(rule: &Value, to: String) -> Option<Edge> {
    let sources = ["SourceSecurityGroupId", "SourceSecurityGroupName", "CidrIp", "CidrIpv6", "SourcePrefixListId"];
    let from = sources.iter().find_map(|k| rule.get(k)).map(name)?;
    let port = |k: &str| rule.get(k).map(name).unwrap_or_default();
    let ports = match (name(rule.get("IpProtocol")?).as_str(), port("FromPort"), port("ToPort")) {
        ("-1", _, _) => "all traffic".to_string(),
        (p, a, b) if a == b || b.is_empty() => format!("{a}/{p}"),
        (p, a, b) => format!("{a}-{b}/{p}"),
    };
    Some(Edge { from, to, ports })
}

/// Every edge of `template`.
pub fn reach(template: &Value) -> BTreeSet<Edge> {
    let mut out = BTreeSet::new();
    let resources = template.get("Resources").and_then(Value::as_object).into_iter().flatten();
    for (id, r) in resources {
        let props = r.get("Properties").unwrap_or(&Value::Null);
        match r.get("Type").and_then(Value::as_str) {
            Some("AWS::EC2::SecurityGroupIngress") => {
                let to = props.get("GroupId").or_else(|| props.get("GroupName")).map(name);
                out.extend(to.and_then(|to| edge(props, to)));
            }
            Some("AWS::EC2::SecurityGroup") => {
                let inline = props.get("SecurityGroupIngress").and_then(Value::as_array).into_iter().flatten();
                out.extend(inline.filter_map(|rule| edge(rule, id.clone())));
            }
            _ => {}
        }
    }
    out
}
