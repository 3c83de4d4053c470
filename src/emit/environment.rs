//! A service's `x-environment.SetAsParameter` (read in `ext::environment`): each variable's
//! template parameter, added here; the container's variable takes its `Ref` (`task`).
//!
//! Refused here, where the plan knows them: a variable a secret of the service sets too, and a
//! value that is a reference to a resource of the file (`x-sqs::jobs::Url`), both values the
//! stack takes when it deploys; a parameter another service's variable makes too. A parameter
//! the file's own `Parameters` declare is that one (with the macro, `aws cloudformation deploy`
//! passes only the parameters of the file it is given), its keys completed with the ones
//! `SetAsParameter` gives: the file's win.

use crate::cfn::template::USER_PARAMETERS;
use crate::diagnostics::join;
use crate::plan::{refs, Ctx};
use serde_json::Value;

pub fn parameters(ctx: &mut Ctx) {
    let project = ctx.project;
    for (name, s) in &project.services {
        let owner = join(&join("services", name), crate::ext::environment::KEY);
        for p in ctx.ext.service(name).env_parameters.clone() {
            let var = &p.var;
            if ctx.plan.secrets.get(name).is_some_and(|m| m.contains_key(var)) {
                ctx.d.error(
                    "CX5163",
                    &p.path,
                    format!("{var} is set by a secret of the service too, which stays out of the template: leave {var} out of SetAsParameter, or out of environment"),
                );
                continue;
            }
            let text = s.environment.get(var).and_then(Value::as_str).unwrap_or_default();
            if refs::value_of(&ctx.plan.declared, text).is_some() {
                ctx.d.error(
                    "CX5164",
                    &p.path,
                    format!("the value of {var}, {text}, is a value of a resource of the stack, which it knows when it deploys: leave {var} out of SetAsParameter"),
                );
                continue;
            }
            match ctx.t.add_parameter(&owner, &p.id, p.declaration.clone()) {
                Ok(()) => {}
                Err(other) if other == USER_PARAMETERS => {
                    let id = &p.id;
                    let file = ctx.t.sections.get_mut("Parameters").and_then(|ps| ps.get_mut(id));
                    match file.and_then(Value::as_object_mut) {
                        Some(declared) => {
                            for (k, v) in p.declaration.as_object().into_iter().flatten() {
                                declared.entry(k.clone()).or_insert_with(|| v.clone());
                            }
                        }
                        None => ctx.d.error(
                            "CX5165",
                            join("Parameters", id),
                            format!("{id} is the parameter of {var} ({}), and must be a mapping", p.path),
                        ),
                    }
                }
                Err(other) => ctx.d.error(
                    "CX5166",
                    &p.path,
                    format!("{other} makes the template parameter {} too; the ID is made of the service's name and the variable's: rename the service", p.id),
                ),
            }
        }
    }
}
