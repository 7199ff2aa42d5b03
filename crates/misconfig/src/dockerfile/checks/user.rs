//! Who the container runs as, and privilege inside the build.

use super::{CmdLine, Ctx, Family, invocations, lines};
use crate::catalog::{Diags, meta};
use crate::dockerfile::parser::{Keyword, expand};

meta!(
    ROOT_USER,
    "OSP-DF-001",
    High,
    "Last USER is root",
    "The final stage's last USER is root, so the container runs as root unless the runtime overrides it.",
    "Add `USER <non-root user>` after the steps that need root.",
    ["hadolint:DL3002", "checkov:CKV_DOCKER_8", "trivy:DS-0002"]
);
meta!(
    NO_USER,
    "OSP-DF-002",
    Medium,
    "No USER in the final stage",
    "The final stage never sets USER, so the container runs as the base image's user, usually root.",
    "Create an unprivileged user and switch to it with `USER`.",
    ["checkov:CKV_DOCKER_3", "trivy:DS-0002"]
);
meta!(
    SUDO,
    "OSP-DF-003",
    Medium,
    "sudo used in RUN",
    "sudo in a build step hides privilege changes and usually means sudo is shipped in the image.",
    "Run the step as root with `USER root` before it, and drop privileges afterwards.",
    ["hadolint:DL3004", "checkov:CKV2_DOCKER_1", "trivy:DS-0010"]
);
meta!(
    CHPASSWD,
    "OSP-DF-004",
    High,
    "Password set with chpasswd or passwd",
    "Setting a password in a build step stores it in the image history and enables password logins.",
    "Do not set passwords in images; use key-based access or runtime secrets.",
    ["checkov:CKV2_DOCKER_17"]
);
meta!(
    USERADD_HIGH_UID,
    "OSP-DF-005",
    Low,
    "useradd with a high UID without -l",
    "useradd without `-l` writes a sparse lastlog entry for large UIDs, which can blow up the layer size.",
    "Add `-l` (`--no-log-init`) to useradd.",
    ["hadolint:DL3046"]
);

pub(super) const FAMILY: Family = Family {
    name: "user",
    checks: &[&ROOT_USER, &NO_USER, &SUDO, &CHPASSWD, &USERADD_HIGH_UID],
    run: check,
};

fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or("");
    name == "root" || name == "0"
}

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    if let Some(stage) = ctx.final_stage() {
        // Follow `FROM <earlier stage>` chains: USER is inherited from a stage used as base.
        let mut current = Some(stage);
        let mut found = None;
        let mut hops = 0;
        while let Some(s) = current {
            let first = s.from_instruction;
            if let Some((offset, u)) = ctx
                .df
                .stage_instructions(s.index)
                .iter()
                .enumerate()
                .rev()
                .find(|(_, i)| i.keyword == Keyword::User)
            {
                found = Some((first + offset, u));
                break;
            }
            hops += 1;
            current = ctx
                .df
                .stage_by_ref(&s.base)
                .filter(|b| b.index < s.index && hops < 64);
        }
        // `USER $APP_USER`: resolve with the variables in scope at that point.
        let resolved = found.map(|(index, u)| {
            let raw = u.text().trim().to_string();
            let value = expand(&raw, &ctx.df.vars_before(index)).unwrap_or(raw);
            (u, value)
        });
        match resolved {
            Some((u, value)) if is_root(&value) => {
                d.fail(&ROOT_USER, lines(u), format!("last USER is `{value}`"))
            }
            Some(_) => {}
            None => {
                let from = &ctx.df.instructions[stage.from_instruction];
                if stage.base != "scratch" {
                    d.fail(
                        &NO_USER,
                        lines(from),
                        format!("stage `{}` never sets USER", stage.base),
                    );
                }
            }
        }
    }
    for (ins, script) in ctx.runs() {
        if script.commands().iter().any(|c| c.uses_sudo()) {
            d.fail(&SUDO, lines(ins), "sudo is used in RUN");
        }
        for (prog, words) in invocations(script) {
            match prog {
                "chpasswd" => d.fail(&CHPASSWD, lines(ins), "chpasswd sets a password"),
                "passwd" if words.contains(&"--stdin") => {
                    d.fail(&CHPASSWD, lines(ins), "passwd --stdin sets a password")
                }
                "useradd" => {
                    let cl = CmdLine::parse(
                        &words,
                        &[
                            "-u", "--uid", "-g", "-G", "-d", "-s", "-c", "-k", "-K", "-e", "-f",
                            "-p",
                        ],
                    );
                    let uid = words
                        .iter()
                        .position(|w| *w == "-u" || *w == "--uid")
                        .and_then(|p| words.get(p + 1))
                        .and_then(|u| u.parse::<u64>().ok());
                    if uid.is_some_and(|u| u > 99_999) && !cl.has(&["--no-log-init"], &['l']) {
                        d.fail(
                            &USERADD_HIGH_UID,
                            lines(ins),
                            "useradd with a UID over 99999 and without -l",
                        );
                    }
                }
                _ => {}
            }
        }
    }
}
