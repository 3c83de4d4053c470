//! The README's reference must stay true: every `x-` kind, access level and return value the
//! engine knows is documented there. `README_TABLES=1 cargo test --test readme -- --nocapture`
//! prints the tables of the resources section from the kinds themselves.

use composex::kinds::{resource_kinds, Attr};

fn attr_text(a: &Attr) -> String {
    match a {
        Attr::Ref => "Ref".into(),
        Attr::GetAtt(x) => format!("GetAtt {x}"),
        Attr::Sub(_) | Attr::Build(_) => "built ARN".into(),
        Attr::Of(suffix, inner) => format!("{} of the {suffix}", attr_text(inner)),
        Attr::None => "–".into(),
    }
}

#[test]
fn readme_documents_every_kind_level_and_return_value() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let print = std::env::var("README_TABLES").is_ok();
    let mut missing = Vec::new();
    let variants = [&composex::kinds::rds::INSTANCE, &composex::kinds::elasticache::CACHE_CLUSTER];
    for k in resource_kinds().chain(variants) {
        if print {
            println!("\n#### `{}` — `{}`\n", k.key, k.cfn_type);
            println!(
                "Default value: {}. Return values: {}.\n",
                attr_text(&k.default),
                k.return_values.iter().map(|(n, a)| format!("`{n}` ({})", attr_text(a))).collect::<Vec<_>>().join(", ")
            );
            println!("| access | IAM actions |\n|---|---|");
            for l in k.levels {
                let acts = if l.actions.is_empty() {
                    (if k.default_access.is_some() {
                        "no IAM statement: the network path and the credentials"
                    } else {
                        "no IAM statement (see below)"
                    })
                    .to_string()
                } else {
                    l.actions.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                };
                println!("| `{}` | {acts} |", l.name);
            }
            if !k.sam_policies.is_empty() {
                println!(
                    "\nAWS SAM names accepted: {}.",
                    k.sam_policies.iter().map(|(s, l)| format!("`{s}` = `{l}`")).collect::<Vec<_>>().join(", ")
                );
            }
        }
        if !readme.contains(&format!("`{}`", k.key)) {
            missing.push(format!("kind {}", k.key));
        }
        for l in k.levels {
            if !readme.contains(&format!("`{}`", l.name)) {
                missing.push(format!("{} level {}", k.key, l.name));
            }
            for a in l.actions {
                if !readme.contains(a) {
                    missing.push(format!("{} level {} action {a}", k.key, l.name));
                }
            }
        }
        for (n, _) in k.return_values {
            if !readme.contains(&format!("`{n}`")) {
                missing.push(format!("{} return value {n}", k.key));
            }
        }
    }
    assert!(missing.is_empty(), "README.md does not document:\n{}", missing.join("\n"));
}
