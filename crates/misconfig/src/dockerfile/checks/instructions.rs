//! Instruction use: WORKDIR, HEALTHCHECK, CMD/ENTRYPOINT, MAINTAINER, COPY destinations, odd
//! commands in RUN, permissions.

use super::{Ctx, Family, invocations, lines};
use crate::catalog::{CheckMeta, Diags, meta};
use crate::dockerfile::parser::{Args, Keyword};

meta!(
    RELATIVE_WORKDIR,
    "OSP-DF-120",
    High,
    "WORKDIR is not absolute",
    "A relative WORKDIR depends on the previous one and is easy to get wrong.",
    "Use an absolute path.",
    ["hadolint:DL3000", "trivy:DS-0009"]
);
meta!(
    RUN_CD,
    "OSP-DF-121",
    Medium,
    "cd used in RUN instead of WORKDIR",
    "`cd` only affects one RUN; WORKDIR makes the directory explicit for all later steps.",
    "Use WORKDIR.",
    ["hadolint:DL3003", "trivy:DS-0013"]
);
meta!(
    NO_HEALTHCHECK,
    "OSP-DF-122",
    Low,
    "No HEALTHCHECK",
    "Without a HEALTHCHECK the runtime cannot tell a hung container from a healthy one.",
    "Add `HEALTHCHECK CMD ...` (or `HEALTHCHECK NONE` to say it is deliberate).",
    ["hadolint:DL3057", "checkov:CKV_DOCKER_2", "trivy:DS-0026"]
);
meta!(
    MULTI_CMD,
    "OSP-DF-123",
    Medium,
    "Several CMD instructions in a stage",
    "Only the last CMD takes effect.",
    "Keep one CMD per stage.",
    ["hadolint:DL4003", "trivy:DS-0016"]
);
meta!(
    MULTI_ENTRYPOINT,
    "OSP-DF-124",
    High,
    "Several ENTRYPOINT instructions in a stage",
    "Only the last ENTRYPOINT takes effect.",
    "Keep one ENTRYPOINT per stage.",
    ["hadolint:DL4004", "trivy:DS-0007"]
);
meta!(
    MULTI_HEALTHCHECK,
    "OSP-DF-125",
    Medium,
    "Several HEALTHCHECK instructions in a stage",
    "Only the last HEALTHCHECK takes effect.",
    "Keep one HEALTHCHECK per stage.",
    ["hadolint:DL3012", "trivy:DS-0023"]
);
meta!(
    MAINTAINER,
    "OSP-DF-126",
    Low,
    "MAINTAINER is deprecated",
    "MAINTAINER was deprecated in favour of labels.",
    "Use `LABEL org.opencontainers.image.authors=...`.",
    ["hadolint:DL4000", "checkov:CKV_DOCKER_6", "trivy:DS-0022"]
);
meta!(
    SHELL_FORM_ENTRY,
    "OSP-DF-127",
    Low,
    "CMD/ENTRYPOINT in shell form",
    "Shell form runs the process under /bin/sh -c, so it does not receive signals (SIGTERM) and shuts down uncleanly.",
    "Use JSON (exec) form: `CMD [\"app\", \"--flag\"]`.",
    ["hadolint:DL3025"]
);
meta!(
    COPY_DEST_SLASH,
    "OSP-DF-128",
    High,
    "COPY of several sources to a destination without /",
    "With more than one source the destination must be a directory ending in `/`.",
    "End the destination with `/`.",
    ["hadolint:DL3021", "trivy:DS-0011"]
);
meta!(
    CONTAINER_TOOLS,
    "OSP-DF-129",
    Low,
    "Command that makes no sense in a build",
    "ssh, vim, shutdown, service, ps, free, top, kill, mount or ifconfig in RUN do nothing useful in an image build.",
    "Remove the command.",
    ["hadolint:DL3001"]
);
meta!(
    LINK_SHELL,
    "OSP-DF-130",
    Low,
    "/bin/sh replaced with ln",
    "Replacing /bin/sh with a symlink changes the shell for every later step behind the reader's back.",
    "Use the SHELL instruction.",
    ["hadolint:DL4005"]
);
meta!(
    WORLD_WRITABLE,
    "OSP-DF-131",
    Medium,
    "chmod 777 in RUN",
    "World-writable files let any process in the container change them, including code that runs later as another user.",
    "Grant the narrowest mode and set the owner with `chown` or `COPY --chown`.",
    []
);

pub(super) const FAMILY: Family = Family {
    name: "instructions",
    checks: &[
        &RELATIVE_WORKDIR,
        &RUN_CD,
        &NO_HEALTHCHECK,
        &MULTI_CMD,
        &MULTI_ENTRYPOINT,
        &MULTI_HEALTHCHECK,
        &MAINTAINER,
        &SHELL_FORM_ENTRY,
        &COPY_DEST_SLASH,
        &CONTAINER_TOOLS,
        &LINK_SHELL,
        &WORLD_WRITABLE,
    ],
    run: check,
};

fn absolute(p: &str) -> bool {
    let p = p.trim_matches('"');
    p.starts_with('/') || p.starts_with('$') || p.starts_with('\\')
        // Windows: `C:\app`, `c:/app`.
        || (p.len() >= 2 && p.as_bytes()[1] == b':' && p.as_bytes()[0].is_ascii_alphabetic())
}

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    let df = ctx.df;
    for ins in &df.instructions {
        match ins.keyword {
            Keyword::Workdir if !absolute(ins.text().trim()) => d.fail(
                &RELATIVE_WORKDIR,
                lines(ins),
                format!("WORKDIR {}", ins.text().trim()),
            ),
            Keyword::Maintainer => d.fail(&MAINTAINER, lines(ins), "MAINTAINER is used"),
            Keyword::Cmd | Keyword::Entrypoint
                if !ins.is_json() && !ins.text().trim().is_empty() =>
            {
                d.fail(
                    &SHELL_FORM_ENTRY,
                    lines(ins),
                    format!("{} in shell form", ins.keyword.as_str()),
                )
            }
            Keyword::Copy | Keyword::Add if ins.heredocs.is_empty() => {
                let words = match &ins.args {
                    Args::Json(v) => v.clone(),
                    Args::Shell(_) => ins.words(),
                };
                if words.len() > 2
                    && words
                        .last()
                        .is_some_and(|dst| !dst.ends_with('/') && !dst.contains('$'))
                {
                    d.fail(
                        &COPY_DEST_SLASH,
                        lines(ins),
                        format!(
                            "{} sources copied to `{}`",
                            words.len() - 1,
                            words[words.len() - 1]
                        ),
                    );
                }
            }
            _ => {}
        }
    }
    for stage in &df.stages {
        let instrs = df.stage_instructions(stage.index);
        let repeated: [(Keyword, &'static CheckMeta); 3] = [
            (Keyword::Cmd, &MULTI_CMD),
            (Keyword::Entrypoint, &MULTI_ENTRYPOINT),
            (Keyword::Healthcheck, &MULTI_HEALTHCHECK),
        ];
        for (kw, meta) in repeated {
            let found: Vec<_> = instrs.iter().filter(|i| i.keyword == kw).collect();
            if found.len() > 1 {
                d.fail(
                    meta,
                    lines(found[found.len() - 1]),
                    format!(
                        "{} {} instructions in stage {}",
                        found.len(),
                        kw.as_str(),
                        stage.index
                    ),
                );
            }
        }
    }
    if let Some(last) = ctx.final_stage()
        && !df
            .instructions
            .iter()
            .any(|i| i.keyword == Keyword::Healthcheck)
    {
        d.fail(
            &NO_HEALTHCHECK,
            lines(&df.instructions[last.from_instruction]),
            "the image defines no HEALTHCHECK",
        );
    }
    for (ins, script) in ctx.runs() {
        for (prog, words) in invocations(script) {
            match prog {
                "cd" => d.fail(&RUN_CD, lines(ins), format!("cd {}", words.join(" "))),
                "ssh" | "vim" | "vi" | "nano" | "shutdown" | "reboot" | "service" | "ps"
                | "free" | "top" | "kill" | "mount" | "ifconfig" => {
                    d.fail(&CONTAINER_TOOLS, lines(ins), format!("`{prog}` in RUN"))
                }
                "ln" if words.last().is_some_and(|t| *t == "/bin/sh") => {
                    d.fail(&LINK_SHELL, lines(ins), "ln replaces /bin/sh")
                }
                "chmod"
                    if words.iter().any(|w| {
                        matches!(*w, "777" | "0777" | "a+rwx" | "o+w" | "a+w" | "ugo+rwx")
                    }) =>
                {
                    d.fail(
                        &WORLD_WRITABLE,
                        lines(ins),
                        format!("chmod {}", words.join(" ")),
                    )
                }
                _ => {}
            }
        }
    }
}
