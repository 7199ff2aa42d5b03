//! Language package managers: pip, npm, gem, go, yarn.

use super::{CmdLine, Ctx, Family, has_cache_mount, invocations, lines};
use crate::catalog::{Diags, meta};

meta!(
    PIP_UNPINNED,
    "OSP-DF-090",
    Medium,
    "pip install without version pins",
    "Unpinned Python packages make builds unreproducible and open the door to dependency confusion.",
    "Pin versions (`pkg==1.2.3`) or install from a locked requirements file.",
    ["hadolint:DL3013"]
);
meta!(
    PIP_CACHE,
    "OSP-DF-091",
    Low,
    "pip install without --no-cache-dir",
    "pip's cache stays in the layer.",
    "Add `--no-cache-dir` or set PIP_NO_CACHE_DIR=1.",
    ["hadolint:DL3042"]
);
meta!(
    NPM_UNPINNED,
    "OSP-DF-092",
    Medium,
    "npm install of unpinned packages",
    "Unpinned npm packages make builds unreproducible.",
    "Pin versions (`pkg@1.2.3`) or use `npm ci` with a lockfile.",
    ["hadolint:DL3016"]
);
meta!(
    GEM_UNPINNED,
    "OSP-DF-093",
    Medium,
    "gem install without version pins",
    "Unpinned gems make builds unreproducible.",
    "Pin versions: `gem install pkg:1.2.3` or `-v 1.2.3`.",
    ["hadolint:DL3028"]
);
meta!(
    GO_UNPINNED,
    "OSP-DF-094",
    Medium,
    "go install without a version",
    "`go install pkg` or `@latest` builds whatever is newest.",
    "Use `go install pkg@v1.2.3`.",
    ["hadolint:DL3062"]
);
meta!(
    YARN_CACHE,
    "OSP-DF-095",
    Low,
    "yarn install without yarn cache clean",
    "yarn's cache stays in the layer.",
    "End the RUN with `yarn cache clean`.",
    ["hadolint:DL3060"]
);

pub(super) const FAMILY: Family = Family {
    name: "lang",
    checks: &[
        &PIP_UNPINNED,
        &PIP_CACHE,
        &NPM_UNPINNED,
        &GEM_UNPINNED,
        &GO_UNPINNED,
        &YARN_CACHE,
    ],
    run: check,
};

fn pip_pinned(p: &str) -> bool {
    p.contains(['=', '<', '>', '@', '/', '$'])
        || p.ends_with(".whl")
        || p.ends_with(".tar.gz")
        || p == "."
}

fn npm_pinned(p: &str) -> bool {
    // `@scope/name@1.0`, `name@1.0`, git URLs, tarballs, local paths.
    let unscoped = p
        .strip_prefix('@')
        .map(|r| r.split_once('/').map(|x| x.1).unwrap_or(r))
        .unwrap_or(p);
    unscoped.contains('@')
        || p.contains(':')
        || p.starts_with('.')
        || p.starts_with('/')
        || p.ends_with(".tgz")
        || p.contains('$')
}

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    let pip_nocache_env = ctx
        .settings()
        .iter()
        .any(|(_, k, v)| k == "PIP_NO_CACHE_DIR" && !matches!(v.as_str(), "0" | "false" | ""));
    for (ins, script) in ctx.runs() {
        let calls = invocations(script);
        let mut yarn_install = false;
        let mut yarn_clean = false;
        for (prog, words) in &calls {
            let words: Vec<&str> = match *prog {
                // `python -m pip install ...`
                "python" | "python3"
                    if words.first() == Some(&"-m")
                        && words.get(1).is_some_and(|m| m.starts_with("pip")) =>
                {
                    words[2..].to_vec()
                }
                "pip" | "pip3" => words.clone(),
                "npm" | "gem" | "go" | "yarn" => words.clone(),
                _ => continue,
            };
            let tool = if prog.starts_with("python") {
                "pip"
            } else {
                prog.trim_end_matches('3')
            };
            match tool {
                "pip" => {
                    let cl = CmdLine::parse(
                        &words,
                        &[
                            "-r",
                            "--requirement",
                            "-c",
                            "--constraint",
                            "-i",
                            "--index-url",
                            "--extra-index-url",
                            "-t",
                            "--target",
                            "-e",
                            "--editable",
                            "--trusted-host",
                            "-f",
                            "--find-links",
                            "--prefix",
                            "--root",
                        ],
                    );
                    if cl.sub != Some("install") {
                        continue;
                    }
                    let loose: Vec<&str> =
                        cl.args.iter().copied().filter(|p| !pip_pinned(p)).collect();
                    if !loose.is_empty() {
                        d.fail(
                            &PIP_UNPINNED,
                            lines(ins),
                            format!("unpinned: {}", loose.join(", ")),
                        );
                    }
                    if !cl.has(&["--no-cache-dir"], &[])
                        && !pip_nocache_env
                        && !has_cache_mount(ins, "/root/.cache")
                    {
                        d.fail(&PIP_CACHE, lines(ins), "pip install without --no-cache-dir");
                    }
                }
                "npm" => {
                    let cl =
                        CmdLine::parse(&words, &["--prefix", "--registry", "-w", "--workspace"]);
                    if !matches!(cl.sub, Some("install" | "i" | "add" | "isntall")) {
                        continue;
                    }
                    let loose: Vec<&str> =
                        cl.args.iter().copied().filter(|p| !npm_pinned(p)).collect();
                    if !loose.is_empty() {
                        d.fail(
                            &NPM_UNPINNED,
                            lines(ins),
                            format!("unpinned: {}", loose.join(", ")),
                        );
                    }
                }
                "gem" => {
                    let cl = CmdLine::parse(
                        &words,
                        &[
                            "-v",
                            "--version",
                            "-i",
                            "--install-dir",
                            "-n",
                            "--bindir",
                            "--source",
                        ],
                    );
                    if cl.sub != Some("install") || cl.has(&["--version"], &['v']) {
                        continue;
                    }
                    let loose: Vec<&str> = cl
                        .args
                        .iter()
                        .copied()
                        .filter(|p| !p.contains([':', '$']) && !p.ends_with(".gem"))
                        .collect();
                    if !loose.is_empty() {
                        d.fail(
                            &GEM_UNPINNED,
                            lines(ins),
                            format!("unpinned: {}", loose.join(", ")),
                        );
                    }
                }
                "go" => {
                    let cl = CmdLine::parse(&words, &["-ldflags", "-tags", "-o"]);
                    if cl.sub != Some("install") {
                        continue;
                    }
                    let loose: Vec<&str> = cl
                        .args
                        .iter()
                        .copied()
                        .filter(|p| {
                            !p.starts_with('.')
                                && p.split_once('@').is_none_or(|(_, v)| v == "latest")
                        })
                        .collect();
                    if !loose.is_empty() {
                        d.fail(
                            &GO_UNPINNED,
                            lines(ins),
                            format!("unpinned: {}", loose.join(", ")),
                        );
                    }
                }
                "yarn" => match words.first().copied() {
                    None | Some("install" | "add") => yarn_install = true,
                    Some("cache") if words.get(1) == Some(&"clean") => yarn_clean = true,
                    _ => {}
                },
                _ => {}
            }
        }
        if yarn_install && !yarn_clean && !has_cache_mount(ins, "/usr/local/share/.cache/yarn") {
            d.fail(
                &YARN_CACHE,
                lines(ins),
                "yarn install without yarn cache clean",
            );
        }
    }
}
