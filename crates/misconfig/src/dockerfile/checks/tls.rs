//! TLS certificate verification turned off, by flag, config command or environment.

use super::{Ctx, Family, invocations, lines};
use crate::catalog::{CheckMeta, Diags, meta};

meta!(
    CURL_INSECURE,
    "OSP-DF-040",
    High,
    "curl with certificate checks off",
    "`curl -k`/`--insecure` accepts any certificate: a man in the middle can feed the build.",
    "Remove `-k`/`--insecure`; add the CA certificate instead.",
    ["checkov:CKV2_DOCKER_2"]
);
meta!(
    WGET_NO_CHECK,
    "OSP-DF-041",
    High,
    "wget with certificate checks off",
    "`wget --no-check-certificate` accepts any certificate.",
    "Remove `--no-check-certificate`; add the CA certificate instead.",
    ["checkov:CKV2_DOCKER_3"]
);
meta!(
    PIP_TRUSTED_HOST_FLAG,
    "OSP-DF-042",
    High,
    "pip --trusted-host",
    "`--trusted-host` makes pip skip certificate checks for that host.",
    "Remove `--trusted-host`; configure the index's CA instead.",
    ["checkov:CKV2_DOCKER_4"]
);
meta!(
    PYTHONHTTPSVERIFY,
    "OSP-DF-043",
    High,
    "PYTHONHTTPSVERIFY=0",
    "PYTHONHTTPSVERIFY=0 turns off certificate checks for Python's HTTPS clients.",
    "Remove the variable.",
    ["checkov:CKV2_DOCKER_5"]
);
meta!(
    NODE_TLS,
    "OSP-DF-044",
    High,
    "NODE_TLS_REJECT_UNAUTHORIZED=0",
    "NODE_TLS_REJECT_UNAUTHORIZED=0 makes Node.js accept any certificate.",
    "Remove the variable; use NODE_EXTRA_CA_CERTS for private CAs.",
    ["checkov:CKV2_DOCKER_6"]
);
meta!(
    NPM_STRICT_SSL_ENV,
    "OSP-DF-045",
    High,
    "NPM_CONFIG_STRICT_SSL=false",
    "npm skips certificate checks.",
    "Remove the variable; set `cafile` for private CAs.",
    ["checkov:CKV2_DOCKER_12"]
);
meta!(
    NPM_STRICT_SSL_CONFIG,
    "OSP-DF-046",
    High,
    "npm/yarn strict-ssl set to false",
    "`npm config set strict-ssl false` makes npm or yarn skip certificate checks.",
    "Remove the setting; set `cafile` for private CAs.",
    ["checkov:CKV2_DOCKER_13"]
);
meta!(
    GIT_SSL_NO_VERIFY,
    "OSP-DF-047",
    High,
    "git certificate checks off",
    "GIT_SSL_NO_VERIFY or `http.sslVerify false` makes git accept any certificate.",
    "Remove the setting; add the CA with `http.sslCAInfo`.",
    ["checkov:CKV2_DOCKER_14"]
);
meta!(
    YUM_SSLVERIFY,
    "OSP-DF-048",
    High,
    "yum/dnf sslverify disabled",
    "`sslverify=false` makes yum/dnf accept any repository certificate.",
    "Remove the setting.",
    ["checkov:CKV2_DOCKER_15"]
);
meta!(
    PIP_TRUSTED_HOST_ENV,
    "OSP-DF-049",
    High,
    "PIP_TRUSTED_HOST set",
    "PIP_TRUSTED_HOST makes pip skip certificate checks for those hosts.",
    "Remove the variable.",
    ["checkov:CKV2_DOCKER_16"]
);

pub(super) const FAMILY: Family = Family {
    name: "tls",
    checks: &[
        &CURL_INSECURE,
        &WGET_NO_CHECK,
        &PIP_TRUSTED_HOST_FLAG,
        &PYTHONHTTPSVERIFY,
        &NODE_TLS,
        &NPM_STRICT_SSL_ENV,
        &NPM_STRICT_SSL_CONFIG,
        &GIT_SSL_NO_VERIFY,
        &YUM_SSLVERIFY,
        &PIP_TRUSTED_HOST_ENV,
    ],
    run: check,
};

fn falsy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "0" | "false" | "no" | "off"
    )
}

fn is_short_with(w: &str, c: char) -> bool {
    w.len() > 1
        && w.starts_with('-')
        && !w.starts_with("--")
        && w[1..].chars().all(|x| x.is_ascii_alphabetic())
        && w.contains(c)
}

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    for (ins, name, value) in ctx.settings() {
        let hit: Option<&'static CheckMeta> = match name.as_str() {
            "PYTHONHTTPSVERIFY" if value.trim() == "0" => Some(&PYTHONHTTPSVERIFY),
            "NODE_TLS_REJECT_UNAUTHORIZED" if value.trim() == "0" => Some(&NODE_TLS),
            "NPM_CONFIG_STRICT_SSL" | "npm_config_strict_ssl" if falsy(&value) => {
                Some(&NPM_STRICT_SSL_ENV)
            }
            "GIT_SSL_NO_VERIFY" if !value.is_empty() && !falsy(&value) => Some(&GIT_SSL_NO_VERIFY),
            "PIP_TRUSTED_HOST" if !value.is_empty() => Some(&PIP_TRUSTED_HOST_ENV),
            _ => None,
        };
        if let Some(meta) = hit {
            d.fail(meta, lines(ins), format!("{name}={value}"));
        }
    }
    for (ins, script) in ctx.runs() {
        for (prog, words) in invocations(script) {
            match prog {
                "curl"
                    if words
                        .iter()
                        .any(|w| *w == "--insecure" || is_short_with(w, 'k')) =>
                {
                    d.fail(&CURL_INSECURE, lines(ins), "curl --insecure")
                }
                "wget" if words.contains(&"--no-check-certificate") => {
                    d.fail(&WGET_NO_CHECK, lines(ins), "wget --no-check-certificate")
                }
                "pip" | "pip3" | "python" | "python3"
                    if words
                        .iter()
                        .any(|w| *w == "--trusted-host" || w.starts_with("--trusted-host=")) =>
                {
                    d.fail(&PIP_TRUSTED_HOST_FLAG, lines(ins), "pip --trusted-host")
                }
                "npm" | "yarn" | "pnpm" => {
                    let joined = words.join(" ").to_ascii_lowercase();
                    if words.first() == Some(&"config")
                        && (joined.contains("strict-ssl false")
                            || joined.contains("strict-ssl=false")
                            || joined.contains("strict-ssl 0"))
                    {
                        d.fail(
                            &NPM_STRICT_SSL_CONFIG,
                            lines(ins),
                            format!("{prog} {}", words.join(" ")),
                        );
                    }
                }
                "git" => {
                    let joined = words.join(" ").to_ascii_lowercase();
                    if joined.contains("http.sslverify false")
                        || joined.contains("http.sslverify=false")
                    {
                        d.fail(&GIT_SSL_NO_VERIFY, lines(ins), "git http.sslVerify false");
                    }
                }
                _ => {}
            }
            let joined = words.join(" ").to_ascii_lowercase().replace(' ', "");
            if matches!(
                prog,
                "yum"
                    | "dnf"
                    | "microdnf"
                    | "tdnf"
                    | "echo"
                    | "sed"
                    | "printf"
                    | "tee"
                    | "yum-config-manager"
                    | "dnf-config-manager"
            ) && (joined.contains("sslverify=false") || joined.contains("sslverify=0"))
            {
                d.fail(&YUM_SSLVERIFY, lines(ins), "sslverify disabled");
            }
        }
    }
}
