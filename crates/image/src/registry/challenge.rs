//! `WWW-Authenticate` challenges (RFC 7235) and token-server answers (Docker token auth).

use std::collections::BTreeMap;

/// One authentication challenge: `Bearer realm="...",service="...",scope="..."`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    /// The scheme, lowercased: `basic`, `bearer`.
    pub scheme: String,
    /// Parameters with lowercased names and unquoted values.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// A parameter by (lowercase) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// Parses every challenge in one header value. Several challenges may share a value
/// (`Basic realm="a", Bearer realm="b"`); unparseable fragments are skipped, never a panic.
pub(crate) fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut challenges: Vec<Challenge> = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.is_empty() {
            return challenges;
        }
        let token_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == ',')
            .unwrap_or(rest.len());
        let token = &rest[..token_end];
        let after = rest[token_end..].trim_start();
        if let Some(value_part) = after.strip_prefix('=') {
            if value_part.starts_with('=') {
                // `==` is token68 padding (`Basic dXNlcg==`), not a parameter: skip it.
                rest = value_part.trim_start_matches('=');
                continue;
            }
            let (value, remaining) = read_value(value_part.trim_start());
            if let Some(current) = challenges.last_mut().filter(|_| !token.is_empty()) {
                current.params.insert(token.to_ascii_lowercase(), value);
            }
            rest = remaining;
        } else {
            challenges.push(Challenge {
                scheme: token.to_ascii_lowercase(),
                params: BTreeMap::new(),
            });
            rest = after;
        }
    }
}

/// Reads a quoted string (with `\` escapes) or a bare token; returns it and what follows.
fn read_value(s: &str) -> (String, &str) {
    if let Some(quoted) = s.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                '"' => return (value, &quoted[i + 1..]),
                other => value.push(other),
            }
        }
        // Unterminated: take what there is.
        (value, "")
    } else {
        let end = s
            .find(|c: char| c == ',' || c.is_whitespace())
            .unwrap_or(s.len());
        (s[..end].to_string(), &s[end..])
    }
}

/// What a token server answers. Docker's token spec names the field `token`; OAuth2-style
/// servers use `access_token`; some send both (equal).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct TokenAnswer {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

impl TokenAnswer {
    /// The bearer token, whichever field holds it.
    pub fn into_token(self) -> Option<String> {
        self.token
            .filter(|t| !t.is_empty())
            .or(self.access_token.filter(|t| !t.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_bearer_challenge() {
        let c = parse_challenges(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(c[0].param("service"), Some("registry.docker.io"));
        assert_eq!(c[0].param("scope"), Some("repository:library/alpine:pull"));
    }

    #[test]
    fn several_challenges_escapes_and_bare_tokens() {
        let c = parse_challenges(
            r#"Basic realm="Registry \"Realm\"", BEARER Realm=http://127.0.0.1:1/token , error="insufficient_scope",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].scheme, "basic");
        assert_eq!(c[0].param("realm"), Some("Registry \"Realm\""));
        assert_eq!(c[1].scheme, "bearer");
        assert_eq!(c[1].param("realm"), Some("http://127.0.0.1:1/token"));
        assert_eq!(c[1].param("error"), Some("insufficient_scope"));
        assert_eq!(c[1].param("scope"), Some("repository:a/b:pull,push"));
    }

    #[test]
    fn garbage_never_panics() {
        for s in [
            "",
            "=",
            "==,,",
            "Bearer realm=\"unterminated",
            "Basic dXNlcjpwYXNz==",
            "realm=\"no scheme\"",
            "Bearer ,,, =x, realm=",
            "\u{0}\u{ff}é=\"\\",
        ] {
            let _ = parse_challenges(s);
        }
        assert!(parse_challenges("realm=\"no scheme\"").is_empty());
        let c = parse_challenges("Basic dXNlcjpwYXNz==, Bearer realm=r");
        assert_eq!(c.len(), 2, "token68 must not start a challenge: {c:?}");
        assert_eq!(
            (c[0].scheme.as_str(), c[1].scheme.as_str()),
            ("basic", "bearer")
        );
        assert_eq!(c[1].param("realm"), Some("r"));
    }

    #[test]
    fn token_answers_in_both_spellings() {
        let t = |j: &str| serde_json::from_str::<TokenAnswer>(j).unwrap().into_token();
        assert_eq!(t(r#"{"token":"a"}"#), Some("a".into()));
        assert_eq!(
            t(r#"{"access_token":"b","expires_in":300}"#),
            Some("b".into())
        );
        assert_eq!(t(r#"{"token":"","access_token":"c"}"#), Some("c".into()));
        assert_eq!(t(r#"{"expires_in":300}"#), None);
    }
}
