//! `x-wafv2_webacl` (ECS ComposeX syntax): AWS WAF web ACLs in front of the application load
//! balancers of `x-elbv2`.
//!
//! ```yaml
//! x-wafv2_webacl:
//!   firewall:
//!     Properties: {DefaultAction: {Allow: {}}, Rules: […]}     # AWS::WAFv2::WebACL, as written
//!     MacroParameters:
//!       AwsManagedRules: [AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet]
//!     LoadBalancers: [front]                                   # x-elbv2 names
//!   existing:
//!     Use: arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/name/id   # only associated
//!     LoadBalancers: [back]
//! ```
//!
//! A created web ACL is regional, allows what no rule blocks unless `DefaultAction` says
//! otherwise, and publishes CloudWatch metrics and sampled requests. Each load balancer named is
//! protected by an `AWS::WAFv2::WebACLAssociation`.

use crate::cfn::{get_att, is_intrinsic, naming::pascal};
use crate::compose::read::{kind, literal, map_or, seq_or, show};
use crate::diagnostics::{index, join};
use crate::plan::Ctx;
use serde_json::{json, Map, Value};

pub const KEY: &str = "x-wafv2_webacl";

/// The AWS managed rule groups a regional web ACL may use (AWS WAF Developer Guide, "AWS Managed
/// Rules rule groups list"). Bot Control, account takeover and account creation fraud
/// prevention are charged per request on top of the web ACL.
const AWS_MANAGED_RULES: &[&str] = &[
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesAdminProtectionRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesLinuxRuleSet",
    "AWSManagedRulesUnixRuleSet",
    "AWSManagedRulesWindowsRuleSet",
    "AWSManagedRulesPHPRuleSet",
    "AWSManagedRulesWordPressRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
    "AWSManagedRulesBotControlRuleSet",
    "AWSManagedRulesATPRuleSet",
    "AWSManagedRulesACFPRuleSet",
    "AWSManagedRulesAntiDDoSRuleSet",
];

pub fn web_acl_id(name: &str) -> String {
    format!("{}WebAcl", pascal(name))
}

/// Runs after `x-elbv2`: the associations name its load balancers.
pub fn expand(ctx: &mut Ctx) {
    let Some(x) = ctx.project.extensions.get(KEY).cloned() else { return };
    let head = "x-wafv2_webacl must be a mapping of web ACL names to web ACLs";
    let Some(m) = map_or(&x, KEY, head, &mut ctx.d) else { return };
    for (name, def) in m {
        let path = join(KEY, name);
        let head = "a web ACL must be a mapping with Properties (or Use) and LoadBalancers";
        let Some(def) = map_or(def, &path, head, &mut ctx.d) else { continue };
        let mut lookup = false;
        for (k, v) in def {
            let p = join(&path, k);
            match k.as_str() {
                "Properties" | "MacroParameters" | "LoadBalancers" | "Use" => {}
                "Lookup" => {
                    lookup = true;
                    ctx.d.error("CX4365", 
                        &p,
                        "Lookup needs AWS API calls while the template is transformed, which a macro cannot make; give the existing web ACL's ARN with `Use: arn:aws:wafv2:…` (or !Ref of a template Parameter)",
                    );
                }
                "Services" => ctx.d.warn(
                    "CX4297",
                    &p,
                    "ignored: a web ACL protects the load balancers it names (LoadBalancers), not services",
                ),
                "Settings" if v.as_object().is_some_and(Map::is_empty) => {}
                _ => ctx.d.error(
                    "CX4298",
                    &p,
                    format!(
                        "{k:?} is not an x-wafv2_webacl key; use Properties, MacroParameters, LoadBalancers or Use"
                    ),
                ),
            }
        }
        if lookup {
            continue;
        }
        let arn = if let Some(v) = def.get("Use") {
            let p = join(&path, "Use");
            if def.contains_key("Properties") || def.contains_key("MacroParameters") {
                ctx.d.warn(
                    "CX4299",
                    &path,
                    "Use names an existing web ACL: Properties and MacroParameters are ignored",
                );
            }
            match v {
                Value::String(s) if s.starts_with("arn:") && s.contains(":wafv2:") && s.contains("/webacl/") => {
                    Some(v.clone())
                }
                v if is_intrinsic(v) => Some(v.clone()),
                other => {
                    ctx.d.error("CX4300", 
                        &p,
                        format!(
                            "{} is not a web ACL ARN (arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID) nor an intrinsic function",
                            show(other)
                        ),
                    );
                    None
                }
            }
        } else {
            create(ctx, name, def, &path)
        };
        let Some(arn) = arn else { continue };
        associations(ctx, name, def, &path, &arn);
    }
}

/// The web ACL of `Properties` and `MacroParameters`; the value of its ARN.
fn create(ctx: &mut Ctx, name: &str, def: &Map<String, Value>, path: &str) -> Option<Value> {
    let pp = join(path, "Properties");
    let mut props = match def.get("Properties") {
        Some(Value::Object(p)) => p.clone(),
        None if def.contains_key("MacroParameters") => Map::new(),
        None => {
            ctx.d.error("CX4301", 
                path,
                "a web ACL needs Properties (AWS::WAFv2::WebACL), MacroParameters (AwsManagedRules) or Use (an existing web ACL's ARN)",
            );
            return None;
        }
        Some(other) => {
            ctx.d.error("CX4302", &pp, format!("Properties must be a mapping, not {}", kind(other)));
            return None;
        }
    };
    let mut ok = true;
    match props.get("Scope").map(|v| literal(v, &join(&pp, "Scope"), "the scope", &mut ctx.d)) {
        None => {
            props.insert("Scope".into(), json!("REGIONAL"));
        }
        Some(Some(s)) if s == "REGIONAL" => {}
        Some(Some(s)) => {
            ctx.d.error("CX4303", 
                join(&pp, "Scope"),
                format!("{s:?} is not a scope for load balancers; use REGIONAL (CloudFront web ACLs live in us-east-1, beside the distribution)"),
            );
            ok = false;
        }
        Some(None) => ok = false,
    }
    props.entry("DefaultAction").or_insert_with(|| json!({"Allow": {}}));
    props.entry("VisibilityConfig").or_insert_with(|| visibility(&pascal(name)));
    let mut rules: Vec<Value> = match props.get("Rules") {
        None => Vec::new(),
        Some(v) => seq_or(v, &join(&pp, "Rules"), "Rules must be a list of web ACL rules", &mut ctx.d)
            .cloned()
            .unwrap_or_default(),
    };
    for (i, rule) in rules.iter().enumerate() {
        let statement = rule.pointer("/Statement/ManagedRuleGroupStatement");
        if let Some(s) = statement.filter(|s| s.get("VendorName").and_then(Value::as_str) == Some("AWS")) {
            if let Some(n) = s.get("Name").and_then(Value::as_str) {
                if !AWS_MANAGED_RULES.contains(&n) {
                    ctx.d.warn(
                        "CX4304",
                        join(&index(&join(&pp, "Rules"), i), "Statement.ManagedRuleGroupStatement.Name"),
                        format!(
                            "{n:?} is not an AWS managed rule group ComposeX knows ({}); check its spelling",
                            AWS_MANAGED_RULES.join(", ")
                        ),
                    );
                }
            }
        }
    }
    let mp = join(path, "MacroParameters");
    if let Some(m) = def
        .get("MacroParameters")
        .and_then(|v| map_or(v, &mp, "MacroParameters must be a mapping with AwsManagedRules", &mut ctx.d))
    {
        for (k, v) in m {
            let kp = join(&mp, k);
            if k != "AwsManagedRules" {
                ctx.d.error(
                    "CX4305",
                    &kp,
                    format!("{k:?} is not an x-wafv2_webacl macro parameter; use AwsManagedRules"),
                );
                continue;
            }
            let list = seq_or(v, &kp, "AwsManagedRules must be a list of AWS managed rule group names", &mut ctx.d);
            let mut priority =
                rules.iter().filter_map(|r| r.get("Priority").and_then(Value::as_u64)).max().map_or(0, |p| p + 1);
            for (i, n) in list.into_iter().flatten().enumerate() {
                let np = index(&kp, i);
                let Some(n) = literal(n, &np, "a rule group name", &mut ctx.d) else { continue };
                if !AWS_MANAGED_RULES.contains(&n.as_str()) {
                    ctx.d.error(
                        "CX4306",
                        &np,
                        format!("{n:?} is not an AWS managed rule group; use one of {}", AWS_MANAGED_RULES.join(", ")),
                    );
                    ok = false;
                    continue;
                }
                let rule_name = format!("AWS-{n}");
                if rules.iter().any(|r| r.get("Name").and_then(Value::as_str) == Some(&rule_name)) {
                    ctx.d.warn("CX4307", &np, format!("ignored: Properties.Rules already has the rule {rule_name}"));
                    continue;
                }
                rules.push(json!({
                    "Name": rule_name,
                    "Priority": priority,
                    "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": n}},
                    "OverrideAction": {"None": {}},
                    "VisibilityConfig": visibility(&rule_name),
                }));
                priority += 1;
            }
        }
    }
    if !ok {
        return None;
    }
    if !rules.is_empty() {
        props.insert("Rules".into(), Value::Array(rules));
    } else if props.get("DefaultAction").and_then(|a| a.get("Allow")).is_some() {
        ctx.d.warn("CX4308", 
            path,
            "this web ACL has no rules and allows every request: it protects nothing; add Rules or MacroParameters.AwsManagedRules",
        );
    }
    let id = web_acl_id(name);
    ctx.add(path, id.clone(), json!({"Type": "AWS::WAFv2::WebACL", "Properties": props}));
    ctx.t.output(format!("{id}Arn"), get_att(&id, "Arn"), &format!("ARN of {path}"));
    Some(get_att(&id, "Arn"))
}

fn visibility(metric: &str) -> Value {
    json!({"CloudWatchMetricsEnabled": true, "SampledRequestsEnabled": true, "MetricName": metric})
}

/// One association per load balancer of `LoadBalancers`, each an application load balancer of
/// `x-elbv2` (WAF does not inspect network load balancers' traffic).
fn associations(ctx: &mut Ctx, name: &str, def: &Map<String, Value>, path: &str, arn: &Value) {
    let lp = join(path, "LoadBalancers");
    let Some(v) = def.get("LoadBalancers") else {
        ctx.d.warn("CX4309", 
            &lp,
            "this web ACL protects no load balancer; name the x-elbv2 application load balancers it filters in LoadBalancers",
        );
        return;
    };
    let list = seq_or(v, &lp, "LoadBalancers must be a list of x-elbv2 names", &mut ctx.d);
    for (i, lb) in list.into_iter().flatten().enumerate() {
        let p = index(&lp, i);
        let Some(lb) = literal(lb, &p, "a load balancer name", &mut ctx.d) else { continue };
        let declared = ctx.project.extensions.get(super::elbv2::KEY).and_then(|x| x.get(&lb)).is_some();
        let lb_id = format!("{}LoadBalancer", pascal(&lb));
        let resource = ctx.t.resource(&lb_id).filter(|r| r["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer");
        let Some(ty) = resource.map(|r| r["Properties"]["Type"].clone()) else {
            if !declared {
                ctx.d.error("CX4310", &p, format!("{lb:?} is not a load balancer of x-elbv2; name one of its keys"));
            }
            continue;
        };
        if ty != "application" {
            ctx.d.error("CX4366", 
                &p,
                format!("{lb:?} is a network load balancer, which AWS WAF cannot protect; name application load balancers only"),
            );
            continue;
        }
        ctx.add(
            path,
            format!("{}{}Association", web_acl_id(name), pascal(&lb)),
            json!({"Type": "AWS::WAFv2::WebACLAssociation", "Properties": {
                "ResourceArn": {"Ref": lb_id},
                "WebACLArn": arn,
            }}),
        );
    }
}
