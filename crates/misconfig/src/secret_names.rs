//! Which variable and key names hold secrets; shared by the Dockerfile and Kubernetes checks.

const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "API_KEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "SECRET_KEY",
    "CREDENTIALS",
    "AUTH",
];
const NOT_SECRET_SUFFIXES: &[&str] = &[
    "_FILE",
    "_PATH",
    "_DIR",
    "_URL",
    "_ENDPOINT",
    "_HOST",
    "_PORT",
    "_USER",
    "_USERNAME",
    "_NAME",
    "_ID",
    "_TYPE",
    "_LENGTH",
];

/// True for variable names that hold secrets (`DB_PASSWORD`, `GITHUB_TOKEN`), not for names
/// that point to them (`PASSWORD_FILE`) or public keys (`GPG_KEY`).
pub(crate) fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if NOT_SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
        || upper.contains("GPG")
        || upper.contains("PUBLIC")
    {
        return false;
    }
    upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|part| SECRET_WORDS.contains(&part))
        || ["API_KEY", "ACCESS_KEY", "PRIVATE_KEY", "SECRET_KEY"]
            .iter()
            .any(|w| upper.contains(w))
}

#[cfg(test)]
mod tests {
    use super::secret_name;

    #[test]
    fn secret_names() {
        for n in [
            "DB_PASSWORD",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "api_key",
            "MYSQL_ROOT_PASSWORD",
            "NPM_AUTH_TOKEN",
        ] {
            assert!(secret_name(n), "{n}");
        }
        for n in [
            "PASSWORD_FILE",
            "GPG_KEY",
            "PATH",
            "TOKEN_URL",
            "PYTHON_VERSION",
            "PASSAGE",
            "KEYCLOAK_USER",
        ] {
            assert!(!secret_name(n), "{n}");
        }
    }
}
