//! Downloads and pipes: remote scripts run unverified, two downloaders, missing pipefail.

use super::{Ctx, Family, invocations, lines};
use crate::catalog::{Diags, meta};
use crate::dockerfile::parser::Keyword;
use crate::dockerfile::shell::basename;

meta!(
    CURL_PIPE_SHELL,
    "OSP-DF-030",
    High,
    "Remote script piped into a shell",
    "`curl ... | sh` runs whatever the server returns at build time, unverified.",
    "Download the script, verify its checksum or signature, then run it.",
    []
);
meta!(
    CURL_AND_WGET,
    "OSP-DF-031",
    Low,
    "Both curl and wget are used",
    "Two download tools in one image add size and attack surface.",
    "Use one of curl or wget throughout.",
    ["hadolint:DL4001", "trivy:DS-0014"]
);
meta!(
    NO_PIPEFAIL,
    "OSP-DF-033",
    Low,
    "Pipe without `set -o pipefail`",
    "With /bin/sh a failing command on the left of a pipe does not fail the build step.",
    "Use `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` or `set -o pipefail &&` before the pipe.",
    ["hadolint:DL4006"]
);

pub(super) const FAMILY: Family = Family {
    name: "remote",
    checks: &[&CURL_PIPE_SHELL, &CURL_AND_WGET, &NO_PIPEFAIL],
    run: check,
};

const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "ash", "zsh", "ksh", "python", "python3", "perl", "ruby", "node",
];

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    let mut curl = None;
    let mut wget = None;
    for (ins, script) in ctx.runs() {
        for p in script.all_pipelines() {
            let progs: Vec<&str> = p.commands.iter().filter_map(|c| c.program()).collect();
            if let Some(dl) = progs.iter().position(|p| matches!(*p, "curl" | "wget"))
                && progs[dl + 1..].iter().any(|p| SHELLS.contains(p))
            {
                d.fail(
                    &CURL_PIPE_SHELL,
                    lines(ins),
                    format!("`{}` output is piped into a shell", progs[dl]),
                );
            }
        }
        for (prog, _) in invocations(script) {
            match prog {
                "curl" => curl = curl.or(Some(ins)),
                "wget" => wget = wget.or(Some(ins)),
                _ => {}
            }
        }
    }
    if let (Some(_), Some(w)) = (curl, wget) {
        d.fail(
            &CURL_AND_WGET,
            lines(w),
            "wget is used in a Dockerfile that also uses curl",
        );
    }
    // Pipefail: tracks the SHELL in effect per stage.
    let mut shell_ok = false;
    let mut current_stage = None;
    for ins in &ctx.df.instructions {
        if ins.stage != current_stage {
            current_stage = ins.stage;
            shell_ok = false;
        }
        match ins.keyword {
            Keyword::Shell => {
                let w = ins.words();
                let prog = w.first().map(|p| basename(p)).unwrap_or("");
                // Non-POSIX shells (pwsh, cmd) have no pipefail; treat as handled.
                shell_ok = !matches!(prog, "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh")
                    || w.windows(2).any(|p| p[0] == "-o" && p[1] == "pipefail")
                    || w.iter().any(|x| x == "-eo" || x == "-euo" || x == "-exo");
            }
            Keyword::Run if !shell_ok && !ins.is_json() => {
                let Some(script) = ctx.script_of(ins) else {
                    continue;
                };
                let has_pipe = script.pipelines.iter().any(|p| p.commands.len() > 1);
                let sets = ins.text().contains("pipefail")
                    || ins.heredocs.iter().any(|h| h.content.contains("pipefail"));
                if has_pipe && !sets {
                    d.fail(&NO_PIPEFAIL, lines(ins), "RUN uses a pipe without pipefail");
                }
            }
            _ => {}
        }
    }
}
