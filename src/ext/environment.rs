//! A service's `x-environment` (ECS ComposeX syntax), read once when the file is loaded.
//! `SetAsParameter` makes variables of the service's `environment` template parameters, so that
//! a deploy can change them without editing the file:
//!
//! ```yaml
//! services:
//!   web:
//!     environment: {LOG_LEVEL: info, REGION_NAME: eu}
//!     x-environment:
//!       SetAsParameter: [LOG_LEVEL]                    # a String parameter
//!       # or, with the parameter's properties:
//!       # SetAsParameter: {LOG_LEVEL: {AllowedValues: [debug, info, warn]}}
//! ```
//!
//! Each variable becomes the parameter `<Service>Env<Variable>` (`WebEnvLogLevel`) whose
//! `Default` is the variable's value, and the container's variable takes its `Ref`. What
//! cannot be a parameter's default is refused here: a variable the environment does not set, a
//! value that is an intrinsic function, a dynamic reference or names pseudo parameters (already
//! a deploy-time value), a `List` type (a variable holds one string, as ECS ComposeX says), a
//! default the parameter's own constraints refuse, and `NoEcho`, whose default would be the
//! secret itself, written in the template.

use crate::cfn::is_intrinsic;
use crate::cfn::naming::env_parameter;
use crate::compose::interpolate::names_pseudo_parameters;
use crate::compose::read::{boolean, kind, literal, map_or, seq_or, show, uint};
use crate::compose::Service;
use crate::diagnostics::{index, join, Diagnostics};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub const KEY: &str = "x-environment";

/// The properties of a CloudFormation parameter a variable's parameter may set; its `Default`
/// is the variable's value.
const PROPERTIES: &[&str] = &[
    "Type",
    "Description",
    "AllowedValues",
    "AllowedPattern",
    "ConstraintDescription",
    "MinLength",
    "MaxLength",
    "MinValue",
    "MaxValue",
    "NoEcho",
];

/// One variable of the service's environment as a template parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvParameter {
    /// The variable.
    pub var: String,
    /// The parameter's logical ID ([`env_parameter`]).
    pub id: String,
    /// The parameter: `Type`, the properties written, `Default` the variable's value.
    pub declaration: Value,
    /// Where `SetAsParameter` names the variable.
    pub path: String,
}

/// The variables `x-environment.SetAsParameter` makes parameters, in the order written.
pub fn read(s: &Service, d: &mut Diagnostics) -> Vec<EnvParameter> {
    let Some(x) = s.extensions.get(KEY) else { return Vec::new() };
    let path = join(&join("services", &s.name), KEY);
    let Some(m) = map_or(x, &path, "x-environment must be a mapping with SetAsParameter", d) else {
        return Vec::new();
    };
    for k in m.keys().filter(|k| *k != "SetAsParameter") {
        d.error("CX2181", join(&path, k), format!("{k:?} is not an x-environment key; use SetAsParameter"));
    }
    let sp = join(&path, "SetAsParameter");
    let listed: Vec<(String, Map<String, Value>, String)> = match m.get("SetAsParameter") {
        None => {
            d.error(
                "CX2182",
                &sp,
                "x-environment needs SetAsParameter: the variables of environment to make template parameters",
            );
            return Vec::new();
        }
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let p = index(&sp, i);
                literal(item, &p, "a variable name", d).map(|var| (var, Map::new(), p))
            })
            .collect(),
        Some(v @ Value::Object(_)) if !is_intrinsic(v) => {
            let head = "SetAsParameter must be a list of variable names, or a mapping of variable names to parameter properties";
            let Some(vars) = map_or(v, &sp, head, d) else { return Vec::new() };
            // `x-` keys are anchors for reuse, as in the rest of the file.
            vars.iter()
                .filter(|(var, _)| !var.starts_with("x-"))
                .filter_map(|(var, props)| {
                    let p = join(&sp, var);
                    match props {
                        Value::Null => Some((var.clone(), Map::new(), p)),
                        props => {
                            let head = format!(
                                "the parameter of {var} must be a mapping of its properties ({})",
                                PROPERTIES.join(", ")
                            );
                            map_or(props, &p, &head, d).map(|m| (var.clone(), m.clone(), p))
                        }
                    }
                })
                .collect()
        }
        Some(other) => {
            d.error(
                "CX2183",
                &sp,
                format!("SetAsParameter must be a list of variable names, or a mapping of variable names to parameter properties, not {}", kind(other)),
            );
            return Vec::new();
        }
    };
    let mut out: Vec<EnvParameter> = Vec::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for (var, props, p) in listed {
        let Some(value) = default(s, &var, &p, d) else { continue };
        let Some(declaration) = declaration(s, &var, value, props, &p, d) else { continue };
        let id = env_parameter(&s.name, &var);
        if let Some(other) = ids.insert(id.clone(), var.clone()) {
            if other == var {
                d.error("CX2184", &p, format!("{var} is listed already"));
            } else {
                d.error(
                    "CX2185",
                    &p,
                    format!("{var} and {other} both make the template parameter {id}; keep one of them"),
                );
            }
            continue;
        }
        out.push(EnvParameter { var, id, declaration, path: p });
    }
    out
}

/// The value of `var` in the service's environment, when it can be a parameter's default.
fn default(s: &Service, var: &str, p: &str, d: &mut Diagnostics) -> Option<String> {
    let Some(value) = s.environment.get(var) else {
        d.error(
            "CX2186",
            p,
            format!("{var} is not in the service's environment; set it there: its value is the parameter's default"),
        );
        return None;
    };
    let why = match value.as_str() {
        None => "is an intrinsic function, already a value the stack takes when it deploys",
        Some(text) if text.starts_with("{{resolve:secretsmanager:") || text.starts_with("{{resolve:ssm-secure:") => {
            "is a secret CloudFormation reads when it deploys; a parameter's value is shown to whoever may describe the stack"
        }
        Some(text) if text.starts_with("{{resolve:") => {
            "is a dynamic reference, already a value CloudFormation reads when it deploys"
        }
        Some(text) if names_pseudo_parameters(text) => {
            "names pseudo parameters, which the container gets resolved (Fn::Sub), where a parameter's default is taken as written"
        }
        Some(text) => return Some(text.to_string()),
    };
    d.error("CX2187", p, format!("the value of {var} {why}: leave {var} out of SetAsParameter"));
    None
}

/// The parameter of `var`: the properties written, checked, with its type and `Default`.
fn declaration(
    s: &Service,
    var: &str,
    value: String,
    props: Map<String, Value>,
    p: &str,
    d: &mut Diagnostics,
) -> Option<Value> {
    let mut ok = true;
    for (k, v) in &props {
        let kp = join(p, k);
        match k.as_str() {
            "Default" => {
                d.error(
                    "CX2188",
                    &kp,
                    format!("the parameter's default is the value of {var} in environment; set it there"),
                );
                ok = false;
            }
            "NoEcho" if boolean(v, &kp, d) == Some(true) => {
                d.error(
                    "CX2189",
                    &kp,
                    format!("NoEcho hides a secret, but this parameter's default is the value of {var}, written in the template for whoever reads it; keep the value out of the file: declare a top-level secret (environment: {var} to pass it when deploying, or external: true with the ARN of a stored one) and list it in the service's secrets with target: {var}"),
                );
                ok = false;
            }
            "Type" | "Description" | "AllowedPattern" | "ConstraintDescription" if !v.is_string() => {
                d.error("CX2190", &kp, format!("{k} must be a string, not {}", kind(v)));
                ok = false;
            }
            "Type" | "Description" | "AllowedPattern" | "ConstraintDescription" => {}
            "AllowedValues" | "MinLength" | "MaxLength" | "MinValue" | "MaxValue" | "NoEcho" => {}
            _ => {
                d.error(
                    "CX2191",
                    &kp,
                    format!("{k:?} is not a property of a template parameter; use {}", PROPERTIES.join(", ")),
                );
                ok = false;
            }
        }
    }
    let ty = props.get("Type").and_then(Value::as_str).unwrap_or("String").to_string();
    let ty = ty.as_str();
    let tp = join(p, "Type");
    if ty.contains("List") {
        d.error(
            "CX2192",
            &tp,
            format!("{ty} is a list, and an environment variable holds one string; use String, Number or an AWS type of one value"),
        );
        ok = false;
    } else if !matches!(ty, "String" | "Number") && !ty.starts_with("AWS::") {
        d.error(
            "CX2193",
            &tp,
            format!("{ty:?} is not a template parameter type; use String, Number, or an AWS type (AWS::EC2::VPC::Id, AWS::SSM::Parameter::Value<String>…)"),
        );
        ok = false;
    }
    ok &= allowed(&value, var, &props, ty, p, d);
    if !ok {
        return None;
    }
    let mut declaration = props;
    declaration.insert("Type".into(), Value::String(ty.to_string()));
    declaration
        .entry("Description")
        .or_insert_with(|| Value::String(format!("Environment variable {var} of service {}", s.name)));
    declaration.insert("Default".into(), Value::String(value));
    Some(Value::Object(declaration))
}

/// Whether `value`, the default, is one the parameter's constraints allow: CloudFormation
/// refuses the stack otherwise, with a message that names neither the service nor the variable.
fn allowed(value: &str, var: &str, props: &Map<String, Value>, ty: &str, p: &str, d: &mut Diagnostics) -> bool {
    // (key, what is wrong with the value), and whether a constraint itself is wrong.
    let mut refused: Vec<(&str, String)> = Vec::new();
    let mut ok = true;
    if let Some(v) = props.get("AllowedValues") {
        let ap = join(p, "AllowedValues");
        let items = seq_or(v, &ap, "AllowedValues must be a list", d);
        let allowed: Vec<String> = items
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, item)| literal(item, &index(&ap, i), "an allowed value", d))
            .collect();
        if items.is_none_or(|items| allowed.len() != items.len()) {
            ok = false;
        } else if !allowed.iter().any(|a| a == value) {
            refused.push(("AllowedValues", format!("is not one of them ({})", allowed.join(", "))));
        }
    }
    let length = value.chars().count() as u64;
    for (key, too) in [("MinLength", "shorter"), ("MaxLength", "longer")] {
        let Some(v) = props.get(key) else { continue };
        let Some(bound) = uint(v, &join(p, key), key, d) else {
            ok = false;
            continue;
        };
        if (key == "MinLength" && length < bound) || (key == "MaxLength" && length > bound) {
            refused.push((key, format!("is {too} than {bound} characters")));
        }
    }
    let number = value.trim().parse::<f64>().ok();
    if ty == "Number" && number.is_none() {
        refused.push(("Type", "is not a number".to_string()));
    }
    for (key, beyond) in [("MinValue", "below"), ("MaxValue", "above")] {
        let Some(v) = props.get(key) else { continue };
        let Some(bound) = v.as_f64().or_else(|| v.as_str().and_then(|t| t.trim().parse().ok())) else {
            d.error("CX2194", join(p, key), format!("{key} must be a number, not {}", show(v)));
            ok = false;
            continue;
        };
        if number.is_some_and(|n| (key == "MinValue" && n < bound) || (key == "MaxValue" && n > bound)) {
            refused.push((key, format!("is {beyond} {}", show(v))));
        }
    }
    for (key, what) in &refused {
        d.error(
            "CX2195",
            join(p, key),
            format!("the value of {var} in environment, {value:?}, {what}; CloudFormation refuses a default its parameter does not allow"),
        );
    }
    ok && refused.is_empty()
}
