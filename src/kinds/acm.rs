//! `x-acm` (ECS ComposeX syntax): TLS certificates for the load balancers' HTTPS and TLS
//! listeners.
//!
//! ```yaml
//! x-acm:
//!   public-cert:
//!     Properties: {DomainName: shop.example.com, DomainValidationOptions: [{DomainName: shop.example.com, HostedZoneId: Z123}]}
//!   short-form:
//!     MacroParameters: {DomainNames: [example.com, www.example.com], HostedZoneId: Z123}
//!   existing:
//!     Use: arn:aws:acm:eu-west-1:123456789012:certificate/…   # or !Ref of a template Parameter
//! ```
//!
//! A created certificate is an `AWS::CertificateManager::Certificate` validated by DNS;
//! listeners refer to it with `Certificates: [{x-acm: public-cert}]` (x-elbv2), and the
//! load balancer made from published ports uses every certificate of `x-acm` for its HTTPS
//! listeners.

use super::route53::{self, Zone};
use crate::cfn::{is_intrinsic, naming::pascal, r#ref};
use crate::compose::read::{kind, literal, map_or, seq_or, show};
use crate::diagnostics::{index, join};
use crate::plan::Ctx;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const KEY: &str = "x-acm";

pub fn certificate_id(name: &str) -> String {
    format!("{}Certificate", pascal(name))
}

/// The certificates of `x-acm`: name → the value of its ARN (a `Ref` of the created
/// certificate, or the ARN given in `Use`), sorted by name.
pub fn expand(ctx: &mut Ctx, zones: &BTreeMap<String, Zone>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let Some(x) = ctx.project.extensions.get(KEY).cloned() else { return out };
    let head = "x-acm must be a mapping of certificate names to certificates";
    let Some(m) = map_or(&x, KEY, head, &mut ctx.d) else { return out };
    for (name, def) in m {
        let path = join(KEY, name);
        let head = "a certificate must be a mapping with Properties, MacroParameters or Use";
        let Some(def) = map_or(def, &path, head, &mut ctx.d) else { continue };
        for k in def.keys() {
            match k.as_str() {
                "Properties" | "MacroParameters" | "Use" | "DeletionPolicy" | "UpdateReplacePolicy" => {}
                "Settings" => ctx.d.warn(
                    "CX4402",
                    join(&path, k),
                    "ignored: a certificate has no settings ComposeX applies (no subnets, no CloudMap registration)",
                ),
                "Lookup" => ctx.d.error("CX4001", 
                    join(&path, k),
                    "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; give the certificate's ARN with `Use: arn:aws:acm:…` (or !Ref of a template Parameter)",
                ),
                "Services" => ctx.d.warn("CX4002", 
                    join(&path, k),
                    "ignored: a certificate is used by the load balancer listeners that name it (x-elbv2 Listeners Certificates), not by services",
                ),
                _ => ctx.d.error("CX4003", 
                    join(&path, k),
                    format!("{k:?} is not an x-acm key; use Properties, MacroParameters or Use"),
                ),
            }
        }
        if let Some(arn) = def.get("Use") {
            let p = join(&path, "Use");
            match arn {
                Value::String(s) if s.starts_with("arn:") && s.contains(":acm:") => {
                    out.insert(name.clone(), arn.clone());
                }
                v if is_intrinsic(v) => {
                    out.insert(name.clone(), arn.clone());
                }
                other => ctx.d.error("CX4004", 
                    p,
                    format!("{} is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID) nor an intrinsic function", show(other)),
                ),
            }
            if def.contains_key("Properties") || def.contains_key("MacroParameters") {
                ctx.d.warn(
                    "CX4005",
                    &path,
                    "Use names an existing certificate: Properties and MacroParameters are ignored",
                );
            }
            continue;
        }
        let props = match (def.get("Properties"), def.get("MacroParameters")) {
            (Some(Value::Object(p)), None) => Some(p.clone()),
            (Some(Value::Object(p)), Some(_)) => {
                ctx.d.warn("CX4006", join(&path, "MacroParameters"), "ignored: Properties describe the certificate");
                Some(p.clone())
            }
            (Some(other), _) => {
                ctx.d.error(
                    "CX4007",
                    join(&path, "Properties"),
                    format!("Properties must be a mapping, not {}", kind(other)),
                );
                None
            }
            (None, Some(mp)) => macro_parameters(ctx, mp, &join(&path, "MacroParameters"), zones),
            (None, None) if def.contains_key("Lookup") => None,
            (None, None) => {
                ctx.d.error("CX4008", &path, "a certificate needs Properties (DomainName…), MacroParameters (DomainNames, HostedZoneId) or Use (an existing certificate's ARN)");
                None
            }
        };
        let Some(mut props) = props else { continue };
        check_properties(ctx, &mut props, &join(&path, "Properties"), zones);
        let id = certificate_id(name);
        let mut resource = json!({"Type": "AWS::CertificateManager::Certificate", "Properties": props});
        for attr in ["DeletionPolicy", "UpdateReplacePolicy"] {
            if let Some(v) = def.get(attr) {
                resource[attr] = v.clone();
            }
        }
        ctx.add(&path, id.clone(), resource);
        ctx.t.output(format!("{id}Arn"), r#ref(&id), &format!("ARN of {path}"));
        out.insert(name.clone(), r#ref(&id));
    }
    out
}

/// ECS ComposeX's short form: `DomainNames` (the first is the certificate's name, the others its
/// alternative names), all validated by DNS in `HostedZoneId`.
fn macro_parameters(
    ctx: &mut Ctx,
    mp: &Value,
    path: &str,
    zones: &BTreeMap<String, Zone>,
) -> Option<Map<String, Value>> {
    let m = map_or(mp, path, "MacroParameters must be a mapping with DomainNames and HostedZoneId", &mut ctx.d)?;
    let mut names = Vec::new();
    let mut zone = None;
    let mut unknown_zone = false;
    for (k, v) in m {
        let p = join(path, k);
        match k.as_str() {
            "DomainNames" => {
                let list = seq_or(v, &p, "DomainNames must be a list of domain names", &mut ctx.d);
                for (i, n) in list.into_iter().flatten().enumerate() {
                    names.extend(literal(n, &index(&p, i), "a domain name", &mut ctx.d));
                }
            }
            "HostedZoneId" => {
                zone = hosted_zone(ctx, v, &p, zones);
                unknown_zone = zone.is_none();
            }
            _ => ctx.d.error(
                "CX4009",
                &p,
                format!("{k:?} is not an x-acm macro parameter; use DomainNames and HostedZoneId"),
            ),
        }
    }
    if unknown_zone {
        // Reported where it is named; the certificate is left out.
        return None;
    }
    let Some(first) = names.first().cloned() else {
        ctx.d.error("CX4010", join(path, "DomainNames"), "MacroParameters need DomainNames, at least one domain name");
        return None;
    };
    let mut props = Map::new();
    props.insert("DomainName".into(), json!(first));
    if names.len() > 1 {
        props.insert("SubjectAlternativeNames".into(), json!(names[1..]));
    }
    if let Some(zone) = zone {
        let opts: Vec<Value> = names.iter().map(|n| json!({"DomainName": n, "HostedZoneId": zone})).collect();
        props.insert("DomainValidationOptions".into(), Value::Array(opts));
    }
    Some(props)
}

/// A `HostedZoneId`: `x-route53::NAME` becomes that zone's ID; anything else is kept as written.
fn hosted_zone(ctx: &mut Ctx, v: &Value, path: &str, zones: &BTreeMap<String, Zone>) -> Option<Value> {
    match v.as_str() {
        Some(s) if s.starts_with(route53::PREFIX) => route53::resolve(ctx, zones, s, path).map(|z| z.id.clone()),
        _ => Some(v.clone()),
    }
}

/// Validation by DNS unless said otherwise; alternative names validated in the same hosted zone
/// as the others when there is only one (as ECS ComposeX does); a warning when nothing will
/// create the validation records.
fn check_properties(ctx: &mut Ctx, props: &mut Map<String, Value>, path: &str, zones: &BTreeMap<String, Zone>) {
    if !props.contains_key("DomainName") {
        ctx.d.error("CX4011", join(path, "DomainName"), "a certificate needs DomainName");
        return;
    }
    if let Some(Value::Array(opts)) = props.get_mut("DomainValidationOptions") {
        for (i, o) in opts.iter_mut().enumerate() {
            let p = join(&index(&join(path, "DomainValidationOptions"), i), "HostedZoneId");
            if let Some(z) = o.get_mut("HostedZoneId") {
                *z = hosted_zone(ctx, z, &p, zones).unwrap_or(Value::Null);
            }
        }
    }
    props.entry("ValidationMethod").or_insert_with(|| json!("DNS"));
    if props.get("ValidationMethod").and_then(Value::as_str) != Some("DNS") {
        return;
    }
    let opts = props.get("DomainValidationOptions").and_then(Value::as_array).cloned().unwrap_or_default();
    let zones: Vec<Value> = opts.iter().filter_map(|o| o.get("HostedZoneId").cloned()).collect();
    if zones.is_empty() {
        ctx.d.warn("CX4012", 
            path,
            "no DomainValidationOptions with a HostedZoneId: the stack waits until you create the DNS validation records yourself; give the Route 53 hosted zone to have CloudFormation create them",
        );
        return;
    }
    let zone = &zones[0];
    if zones.iter().all(|z| z == zone) {
        let mut opts = opts.clone();
        let mut wanted: Vec<Value> = vec![props["DomainName"].clone()];
        wanted.extend(props.get("SubjectAlternativeNames").and_then(Value::as_array).cloned().unwrap_or_default());
        for name in wanted {
            if name.is_string() && !opts.iter().any(|o| o.get("DomainName") == Some(&name)) {
                opts.push(json!({"DomainName": name, "HostedZoneId": zone}));
            }
        }
        props.insert("DomainValidationOptions".into(), Value::Array(opts));
    }
}
