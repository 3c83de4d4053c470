//! Logical IDs from compose names.
//!
//! A logical ID is the PascalCase of the name's alphanumerics plus a role suffix
//! (`front-tier` → `FrontTierTaskDefinition`). Because IDs depend only on the name they come
//! from, adding or removing one service never renames another service's resources, which
//! would make CloudFormation replace them.

/// PascalCase of the alphanumeric runs of `name`: `front-tier` → `FrontTier`, `app_01` → `App01`.
pub fn pascal(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out
}

/// `pascal(name) + suffix`.
pub fn logical_id(name: &str, suffix: &str) -> String {
    let mut id = pascal(name);
    id.push_str(suffix);
    id
}

/// Upper-cased, non-alphanumerics as `_`: the default variable name of resource `jobs-eu` is
/// `JOBS_EU`.
pub fn env_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_of_compose_names() {
        assert_eq!(pascal("front-tier"), "FrontTier");
        assert_eq!(pascal("app_01"), "App01");
        assert_eq!(pascal("yelb-appserver"), "YelbAppserver");
        assert_eq!(pascal("web"), "Web");
        assert_eq!(pascal("a.b-c"), "ABC");
        assert_eq!(logical_id("front-tier", "Service"), "FrontTierService");
    }
}
