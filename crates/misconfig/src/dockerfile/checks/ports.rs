//! EXPOSE.

use super::{Ctx, Family, lines};
use crate::catalog::{Diags, meta};
use crate::dockerfile::parser::Keyword;

meta!(
    SSH_PORT,
    "OSP-DF-110",
    Medium,
    "Port 22 exposed",
    "Exposing SSH suggests an SSH server in the container, a remote entry point that containers should not need.",
    "Remove `EXPOSE 22` and the SSH server; use `kubectl exec`/`docker exec`.",
    ["checkov:CKV_DOCKER_1", "trivy:DS-0004"]
);
meta!(
    BAD_PORT,
    "OSP-DF-111",
    High,
    "EXPOSE port out of range",
    "Ports must be between 0 and 65535.",
    "Fix the port number.",
    ["hadolint:DL3011", "trivy:DS-0008"]
);

pub(super) const FAMILY: Family = Family {
    name: "ports",
    checks: &[&SSH_PORT, &BAD_PORT],
    run: check,
};

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    for ins in ctx
        .df
        .instructions
        .iter()
        .filter(|i| i.keyword == Keyword::Expose)
    {
        for w in ins.words() {
            if w.contains('$') {
                continue;
            }
            let port = w.split('/').next().unwrap_or("");
            let (lo, hi) = port.split_once('-').unwrap_or((port, port));
            let (Ok(lo), Ok(hi)) = (lo.parse::<u64>(), hi.parse::<u64>()) else {
                d.fail(&BAD_PORT, lines(ins), format!("`{w}` is not a port"));
                continue;
            };
            if lo > 65535 || hi > 65535 {
                d.fail(&BAD_PORT, lines(ins), format!("port {w} is out of range"));
            }
            if lo <= 22 && 22 <= hi {
                d.fail(
                    &SSH_PORT,
                    lines(ins),
                    format!("EXPOSE {w} includes port 22"),
                );
            }
        }
    }
}
