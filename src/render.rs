//! The assembler: load the compose model, group its services into task families, run every
//! `x-` kind of the registry, then the concerns, each family's concerns last; check the
//! template against CloudFormation's quotas. Every stage reports into one `Diagnostics`; the
//! template is returned only when no stage found an error.

use crate::cfn::{quotas, Template};
use crate::compose::{self};
use crate::diagnostics::Diagnostics;
use crate::emit::{
    connect, discovery, docker, iam, logging, network, overlay, passthrough, scaling, secrets, service, task, volumes,
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
    let ext = crate::ext::load(&project, &mut d);
    let decls = kinds::read(&project, &mut d);
    let families = Families::group(&project, &mut d);
    let plan = Plan { families, cli: options.cli, ..Plan::default() };
    let mut ctx = Ctx { project: &project, ext, plan, t: Template::default(), d };

    passthrough::sections(doc, &mut ctx);
    kinds::expand(&mut ctx, &decls);
    secrets::expand(&mut ctx);
    volumes::expand(&mut ctx);
    connect::check(&mut ctx);
    docker::check(&mut ctx);
    network::relations(&mut ctx);
    warn_unknown_extensions(&mut ctx);
    scaling::plan(&mut ctx);

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
    }

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

/// `x-` keys ComposeX does not act on: a warning each, never an error, as the compose
/// specification asks of extensions.
fn warn_unknown_extensions(ctx: &mut Ctx) {
    for key in ctx.project.extensions.keys() {
        if !kinds::is_registered(key) {
            ctx.d.warn(key.as_str(), "ignored: ComposeX does not know this extension");
        }
    }
    for (name, s) in &ctx.project.services {
        for key in s.extensions.keys() {
            if !kinds::SERVICE_EXTENSIONS.contains(&key.as_str()) {
                ctx.d.warn(format!("services.{name}.{key}"), "ignored: ComposeX does not know this extension");
            }
        }
    }
}
