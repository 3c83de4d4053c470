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

/// PascalCase of a variable name, word by word: a word written in capitals is capitalised
/// (`LOG_LEVEL` → `LogLevel`, `HTTP2_PORT` → `Http2Port`), another keeps its case after its
/// first letter (`apiKey` → `ApiKey`).
pub fn pascal_words(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let capitals = !part.chars().any(|c| c.is_ascii_lowercase());
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| if capitals { c.to_ascii_lowercase() } else { c }));
        }
    }
    out
}

/// The template parameter `x-environment.SetAsParameter` makes of variable `var` of service
/// `service`: `web`, `LOG_LEVEL` → `WebEnvLogLevel`. The service's name keeps two services'
/// variables of one name apart, and `Env` keeps the parameter off the IDs of the service's
/// resources (`SERVICE` would otherwise be `WebService`).
pub fn env_parameter(service: &str, var: &str) -> String {
    format!("{}Env{}", pascal(service), pascal_words(var))
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

    #[test]
    fn environment_parameters_name_the_service_and_the_variable() {
        assert_eq!(pascal_words("LOG_LEVEL"), "LogLevel");
        assert_eq!(pascal_words("HTTP2_PORT"), "Http2Port");
        assert_eq!(pascal_words("apiKey"), "ApiKey");
        assert_eq!(pascal_words("x"), "X");
        assert_eq!(env_parameter("web", "LOG_LEVEL"), "WebEnvLogLevel");
        assert_eq!(env_parameter("front-tier", "SERVICE"), "FrontTierEnvService");
    }
}
