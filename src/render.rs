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
use std::borrow::Cow;
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

/// Renders the template `doc`, which stays the caller's.
pub fn render(doc: &Value, options: &Options) -> Rendered {
    render_doc(Input::Borrowed(doc), options)
}

/// Renders the template `doc`, freeing it as soon as it is read (what the macro does with the
/// fragment of a request). Each service's input is freed right after it is parsed
/// ([`compose::load_owned`]), the rest once the passed-through sections are taken: freed while
/// still in cache, it costs less to free than at the end, and its memory is reused by the stages
/// that follow instead of adding to theirs (for 1000 services, about 4.6 MB of maps that the
/// stages would otherwise push out of the cache and that would then be walked cold to be freed).
pub fn render_owned(doc: Value, options: &Options) -> Rendered {
    render_doc(Input::Owned(doc), options)
}

/// Renders the template `doc` whose services, taken out of it, are still JSON text (what the
/// macro reads from the request it receives): see [`compose::load_raw`].
pub fn render_raw(doc: Value, services: Vec<(String, &serde_json::value::RawValue)>, options: &Options) -> Rendered {
    render_doc(Input::Raw(doc, services), options)
}

/// What a render reads.
enum Input<'a> {
    Borrowed(&'a Value),
    Owned(Value),
    /// A document without its services, and the services as text.
    Raw(Value, Vec<(String, &'a serde_json::value::RawValue)>),
}

fn render_doc(input: Input<'_>, options: &Options) -> Rendered {
    let mut d = Diagnostics::new();
    let (mut project, doc) = match input {
        Input::Owned(mut doc) => (compose::load_owned(&mut doc, &mut d), Cow::Owned(doc)),
        Input::Borrowed(doc) => (compose::load(doc, &mut d), Cow::Borrowed(doc)),
        Input::Raw(doc, services) => (compose::load_raw(&doc, services, &mut d), Cow::Owned(doc)),
    };
    if project.name.is_none() {
        project.name = options.project_name.clone();
    }
    let ext = crate::ext::load(&project, &mut d);
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
    };

    passthrough::sections(&doc, &mut ctx);
    drop(doc);
    kinds::expand(&mut ctx);
    secrets::expand(&mut ctx);
    volumes::expand(&mut ctx);
    connect::check(&mut ctx);
    docker::check(&mut ctx);
    // The stages that read every service run before the families expand, so that the family
    // loop is the last reader of each service (see below).
    network::relations(&mut ctx);
    warn_unknown_extensions(&mut ctx);
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
