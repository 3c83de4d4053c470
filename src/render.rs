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
use crate::plan::families::{Families, Family};
use crate::plan::{Ctx, Infra};
use serde_json::{json, Value};
use std::collections::BTreeMap;

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
    let mut ctx = Ctx {
        project: &project,
        ext,
        families,
        t: Template::default(),
        d,
        infra: Infra::default(),
        declared: Default::default(),
        grants: BTreeMap::new(),
        exec_grants: BTreeMap::new(),
        env: BTreeMap::new(),
        secrets: BTreeMap::new(),
        volumes: BTreeMap::new(),
        family_depends_on: BTreeMap::new(),
        cli: options.cli,
        connect: BTreeMap::new(),
        connect_sources: BTreeMap::new(),
        load_balancers: BTreeMap::new(),
        balanced_ports: Default::default(),
        queue_scaling: Vec::new(),
        scaling_ranges: BTreeMap::new(),
        queue_principals: BTreeMap::new(),
    };

    passthrough::sections(doc, &mut ctx);
    kinds::expand(&mut ctx, &decls);
    secrets::expand(&mut ctx);
    volumes::expand(&mut ctx);
    connect::check(&mut ctx);
    docker::check(&mut ctx);
    network::relations(&mut ctx);
    warn_unknown_extensions(&mut ctx);
    // A copy of the families: each stage below takes the context mutably.
    let families: Vec<Family> = ctx.families.list.values().cloned().collect();
    for fam in &families {
        logging::expand(&mut ctx, fam);
        iam::expand(&mut ctx, fam);
        task::expand(&mut ctx, fam);
        network::security_group(&mut ctx, fam);
        discovery::service(&mut ctx, fam);
        scaling::expand(&mut ctx, fam);
        service::expand(&mut ctx, fam);
    }

    let Ctx { mut t, mut d, .. } = ctx;
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
