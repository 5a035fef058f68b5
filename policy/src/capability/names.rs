//! Syntax of the names a manifest and a grant use: topic patterns, routes, secrets, jobs.
//! Each function returns the reason a value is refused, worded to follow its field path.

/// An event topic or subscription pattern: dot-separated segments of `[a-z0-9_-]`,
/// optionally ending in `.*` (one or more further segments). A bare `*` is refused: a
/// plugin names what it wants.
pub fn topic_pattern(p: &str) -> Result<(), String> {
    if p.len() > 128 {
        return Err("is longer than 128 bytes".into());
    }
    let concrete = p.strip_suffix(".*").unwrap_or(p);
    if concrete.is_empty() || concrete == "*" {
        return Err(format!(
            "`{p}` is too broad: name at least one topic segment"
        ));
    }
    for segment in concrete.split('.') {
        if segment.is_empty()
            || !segment
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return Err(format!(
                "`{p}` is not a topic pattern: segments of a-z, 0-9, `_`, `-`, optionally ending in `.*`"
            ));
        }
    }
    Ok(())
}

/// An emit pattern: a topic pattern under `plugin.<id>.`.
pub fn emit_pattern(p: &str, plugin_id: &str) -> Result<(), String> {
    topic_pattern(p)?;
    let own = format!("plugin.{plugin_id}.");
    if !p.starts_with(&own) || p.len() <= own.len() {
        return Err(format!("`{p}` must lie under `{own}`"));
    }
    Ok(())
}

/// A route path served under `/ext/<plugin-id>/`: `/` then segments of unreserved URL
/// characters, optionally ending in `/*` for everything below.
pub fn route(p: &str) -> Result<(), String> {
    if p.len() > 128 {
        return Err("is longer than 128 bytes".into());
    }
    let concrete = p.strip_suffix("/*").unwrap_or(p);
    let Some(rest) = concrete.strip_prefix('/') else {
        return Err(format!("`{p}` must start with `/`"));
    };
    if rest.is_empty() && concrete.len() == p.len() {
        return Ok(());
    }
    for segment in rest.split('/') {
        if segment.is_empty()
            || segment == "."
            || segment == ".."
            || !segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
        {
            return Err(format!(
                "`{p}` is not a route: segments of letters, digits, `-._~`, optionally ending in `/*`"
            ));
        }
    }
    Ok(())
}

/// A secret name: `[A-Z][A-Z0-9_]*`, at most 64 bytes.
pub fn secret(name: &str) -> Result<(), String> {
    let mut bytes = name.bytes();
    let ok = name.len() <= 64
        && bytes.next().is_some_and(|b| b.is_ascii_uppercase())
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a secret name: upper-case letters, digits and `_`, starting with a letter, at most 64"
        ))
    }
}

/// A job name: `[a-z0-9_-]`, 1 to 64 bytes.
pub fn job_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a job name: 1-64 of a-z, 0-9, `_`, `-`"
        ))
    }
}

/// Whether a pattern (`a.b.*` or a topic) or route (`/a/*` or a path) covers another.
/// `sep` is the separator (`.` for topics, `/` for routes); a wildcard covers one or more
/// further segments.
pub(crate) fn pattern_covers(wider: &str, narrower: &str, sep: char) -> bool {
    if wider == narrower {
        return true;
    }
    let wild = [sep, '*'].iter().collect::<String>();
    let Some(prefix) = wider.strip_suffix(wild.as_str()) else {
        return false;
    };
    let concrete = narrower.strip_suffix(wild.as_str()).unwrap_or(narrower);
    concrete
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.len() > 1 && rest.starts_with(sep))
}

/// Whether a granted route pattern allows a request path.
pub fn route_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix("/*") {
        Some(prefix) => path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/')),
        None => pattern == path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_patterns_refuse_bare_wildcards_and_odd_characters() {
        assert!(topic_pattern("fax.job.*").is_ok());
        assert!(topic_pattern("fax.job.sent").is_ok());
        assert!(topic_pattern("*").is_err());
        assert!(topic_pattern(".*").is_err());
        assert!(topic_pattern("fax..job").is_err());
        assert!(topic_pattern("fax.*.sent").is_err());
        assert!(topic_pattern("Fax.job").is_err());
    }

    #[test]
    fn emit_patterns_must_lie_under_the_plugins_own_namespace() {
        assert!(emit_pattern("plugin.slack.sent", "slack").is_ok());
        assert!(emit_pattern("plugin.slack.*", "slack").is_ok());
        assert!(emit_pattern("plugin.*", "slack").is_err());
        assert!(emit_pattern("plugin.slackx.sent", "slack").is_err());
        assert!(emit_pattern("fax.job.sent", "slack").is_err());
    }

    #[test]
    fn routes_refuse_traversal_and_empty_segments() {
        assert!(route("/status").is_ok());
        assert!(route("/").is_ok());
        assert!(route("/hooks/*").is_ok());
        assert!(route("/a/../b").is_err());
        assert!(route("//x").is_err());
        assert!(route("status").is_err());
        assert!(route("/a%2fb").is_err());
    }

    #[test]
    fn a_wildcard_covers_only_what_lies_below_it() {
        assert!(pattern_covers("fax.job.*", "fax.job.sent", '.'));
        assert!(pattern_covers("fax.*", "fax.job.*", '.'));
        assert!(pattern_covers("fax.job.*", "fax.job.*", '.'));
        assert!(!pattern_covers("fax.job.*", "fax.*", '.'));
        assert!(!pattern_covers("fax.job.*", "fax.jobs.sent", '.'));
        assert!(!pattern_covers("fax.job.sent", "fax.job.*", '.'));
        assert!(pattern_covers("/hooks/*", "/hooks/a", '/'));
        assert!(!pattern_covers("/hooks/*", "/hooks", '/'));
        assert!(route_matches("/hooks/*", "/hooks/a/b"));
        assert!(!route_matches("/hooks/*", "/hooksx"));
        assert!(!route_matches("/status", "/status/x"));
    }
}
