//! The assembler: load the compose model, group its services into task families, run every
//! `x-` kind of the registry, then the concerns, each family's concerns last; check the
//! template against CloudFormation's quotas. Every stage reports into one `Diagnostics`; the
//! template is returned only when no stage found an error.

use crate::cfn::{quotas, Template};
use crate::compose::{self};
use crate::diagnostics::{join, Diagnostics};
use crate::emit::{
    alarms, capacity, codeguru, connect, cwagent, discovery, docker, environment, exec, iam, logging, models, network,
    overlay, passthrough, scaling, secrets, service, task, volumes, xray,
};
use crate::kinds;
use crate::plan::families::Families;
use crate::plan::{Ctx, Emit, Plan};
use serde_json::{json, Value};

/// Options that do not come from the template itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Compose project name (`-p`); the template's `name` wins when both are set.
    pub project_name: Option<String>,
    /// Rendering for the CLI: `file:` secrets become empty Secrets Manager secrets instead of
    /// errors (the macro has no files).
    pub cli: bool,
}

/// The outcome of one render: the template when there was no error, and every finding.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub template: Option<Template>,
    pub diagnostics: Diagnostics,
}

/// Renders the template `doc`: its compose part into the model, then the model and its
/// CloudFormation sections into a template.
pub fn render(doc: &Value, options: &Options) -> Rendered {
    let mut d = Diagnostics::new();
    let mut project = compose::load(doc, &mut d);
    if project.name.is_none() {
        project.name = options.project_name.clone();
    }
    let families = Families::group(&project, &mut d);
    crate::plan::exposure::infer_ports(&mut project, &families);
    let ext = crate::ext::load(&project, &mut d);
    let decls = kinds::read(&project, &mut d);
    let plan = Plan { families, cli: options.cli, ..Plan::default() };
    let mut ctx = Ctx { project: &project, ext, plan, t: Template::default(), d };

    passthrough::sections(doc, &mut ctx);
    task::images(&mut ctx);
    kinds::expand(&mut ctx, &decls);
    secrets::expand(&mut ctx);
    environment::parameters(&mut ctx);
    models::expand(&mut ctx);
    exec::plan(&mut ctx);
    volumes::expand(&mut ctx);
    connect::check(&mut ctx);
    docker::check(&mut ctx);
    network::relations(&mut ctx);
    unknown_extensions(&mut ctx, doc.get("services").unwrap_or(&Value::Null));
    misspelt_labels(&mut ctx);
    xray::plan(&mut ctx);
    codeguru::plan(&mut ctx);
    cwagent::plan(&mut ctx);
    scaling::plan(&mut ctx);
    logging::plan(&mut ctx);
    capacity::plan(&mut ctx);

    // The family concerns read the plan and add resources.
    let Ctx { ext, plan, mut t, mut d, .. } = ctx;
    let mut emit = Emit { project: &project, ext: &ext, plan: &plan, t: &mut t, d: &mut d };
    for fam in plan.families.list.values() {
        logging::expand(&mut emit, fam);
        iam::expand(&mut emit, fam);
        task::expand(&mut emit, fam);
        network::security_group(&mut emit, fam);
        discovery::service(&mut emit, fam);
        scaling::expand(&mut emit, fam);
        service::expand(&mut emit, fam);
        alarms::expand(&mut emit, fam);
    }
    kinds::events::expand(&mut emit);
    kinds::tags::expand(&project, &mut t, &mut d);

    let warnings: Vec<String> = d.warnings().iter().map(|w| w.to_string()).collect();
    if !warnings.is_empty() {
        let meta = t.sections.entry("Metadata").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert("ComposeX".into(), json!({ "Warnings": warnings }));
        }
    }
    // Docker's x-aws-cloudformation, merged last so that it may tune anything generated.
    if let Some(x) = project.extensions.get(overlay::KEY) {
        overlay::apply(&mut t, x, &mut d);
    }
    quotas::check(&t, &mut d);
    Rendered { template: (!d.has_errors()).then_some(t), diagnostics: d }
}

/// `x-` keys ComposeX does not act on: a near miss of a key it knows (`x-dynamo`: refused, with
/// the key meant), an unknown `x-aws-*` key (Docker's dialect: refused), else a warning, as the
/// compose specification asks of extensions. A key whose value reappears in a service is an
/// anchor for reuse and stays silent.
fn unknown_extensions(ctx: &mut Ctx, services: &Value) {
    let top: Vec<&str> = kinds::REGISTRY.iter().map(|e| e.key).collect();
    for (key, v) in ctx.project.extensions.iter().filter(|(k, _)| !kinds::is_registered(k)) {
        if near_miss(key, &top).is_none() && reused(v, services) {
            continue;
        }
        unknown(&mut ctx.d, key, key, &top);
    }
    for (name, s) in &ctx.project.services {
        for key in s.extensions.keys().filter(|k| !kinds::SERVICE_EXTENSIONS.contains(&k.as_str())) {
            let path = format!("services.{name}.{key}");
            unknown(&mut ctx.d, key, &path, kinds::SERVICE_EXTENSIONS);
        }
    }
}

fn unknown(d: &mut Diagnostics, key: &str, path: &str, known: &[&str]) {
    if let Some(meant) = near_miss(key, known) {
        return d.error("CX6007", path, format!("{key} is not an extension ComposeX knows; did you mean {meant}?"));
    }
    if key.starts_with("x-aws-") {
        let docker: Vec<&str> = known.iter().copied().filter(|k| k.starts_with("x-aws-")).collect();
        return d.error(
            "CX6008",
            path,
            format!("{key} is not a key of Docker's ECS dialect ComposeX reads here; it reads {}", docker.join(", ")),
        );
    }
    d.warn("CX6009", path, "ignored: ComposeX does not know this extension");
}

/// Whether `v`, the value of a top-level `x-` key, reappears in `node` (the services): the YAML
/// reader, or CloudFormation, has resolved the aliases of `x-common: &common` (`*common`, or
/// `<<: *common` with some keys written again beside it), so only the values tell.
fn reused(v: &Value, node: &Value) -> bool {
    let here = match (v, node) {
        (Value::Object(a), Value::Object(b)) => {
            !a.is_empty() && a.keys().all(|k| b.contains_key(k)) && a.iter().any(|(k, x)| b.get(k) == Some(x))
        }
        (Value::String(_) | Value::Array(_), _) => v == node,
        _ => false,
    };
    here || match node {
        Value::Object(m) => m.values().any(|c| reused(v, c)),
        Value::Array(a) => a.iter().any(|c| reused(v, c)),
        _ => false,
    }
}

/// The ECS ComposeX labels ComposeX reads in `deploy.labels`.
const LABELS: &[&str] = &[crate::plan::families::FAMILY_LABEL, task::EPHEMERAL_LABEL, capacity::PLATFORM_LABEL];

/// A `deploy.labels` key a letter or two from one of the ECS ComposeX labels (`ecs.task.famly`)
/// would be kept as a mere docker label, and the service silently alone in its family (or on
/// the default storage, or on Fargate): an error that names the label meant.
fn misspelt_labels(ctx: &mut Ctx) {
    for (name, s) in &ctx.project.services {
        for key in s.deploy.labels.keys().filter(|k| k.starts_with("ecs.") && !LABELS.contains(&k.as_str())) {
            if let Some(meant) = LABELS.iter().find(|l| distance(key, l) <= 2) {
                ctx.d.error(
                    "CX6005",
                    join(&join(&join(&join("services", name), "deploy"), "labels"), key),
                    format!("{key:?} is not a label ComposeX reads: did you mean {meant:?}?"),
                );
            }
        }
    }
}

/// The known key `key` most likely misspells: one a letter apart, or one that starts with it or
/// that it starts with (`x-dynamo`, `x-sqs-queue`, `x-elb`). Two letters apart is too loose:
/// `x-env`, a common anchor, is two from `x-ecs`.
fn near_miss<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let bare = key.trim_start_matches("x-");
    known
        .iter()
        .filter(|k| !k.starts_with("x-aws-") || key.starts_with("x-aws-"))
        .map(|k| (distance(key, k), *k))
        .filter(|(d, k)| {
            let kb = k.trim_start_matches("x-");
            *d <= 1 || (bare.len() >= 3 && (kb.starts_with(bare) || bare.starts_with(kb)))
        })
        .min()
        .map(|(_, k)| k)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(previous + cost);
            previous = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_name_the_key_meant() {
        let known = ["x-dynamodb", "x-sqs", "x-elbv2", "x-s3", "x-aws-cluster"];
        assert_eq!(near_miss("x-dynamo", &known), Some("x-dynamodb"));
        assert_eq!(near_miss("x-sqs-queue", &known), Some("x-sqs"));
        assert_eq!(near_miss("x-elb", &known), Some("x-elbv2"));
        assert_eq!(near_miss("x-aws-clustr", &known), Some("x-aws-cluster"));
        assert_eq!(near_miss("x-common", &known), None);
        assert_eq!(near_miss("x-defaults", &known), None);
        assert_eq!(near_miss("x-env", &["x-ecs"]), None);
    }
}
