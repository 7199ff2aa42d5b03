//! Dockerfile checks. One file per family; each family declares its checks ([`CheckMeta`]
//! constants, the family's "diags") and one `check` function; [`FAMILIES`] is the registry.
//! Family configuration lives in [`Config`].

mod add;
mod apk;
mod apt;
mod base;
mod instructions;
mod lang;
mod ports;
mod remote;
mod rpm;
mod secrets;
mod tls;
mod unsigned;
mod user;

use super::parser::{Args, Dockerfile, Instruction, Keyword, Stage, key_values};
use super::shell::{self, Command, Script};
use crate::catalog::{CheckMeta, Diags};

/// User configuration of the Dockerfile checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Registries base images may come from (`docker.io`, `registry.example.com`). Empty: no
    /// restriction (OSP-DF-018 passes).
    pub trusted_registries: Vec<String>,
}

/// A check family: its checks and the function that runs them.
pub struct Family {
    /// Family name (`user`, `apt`, ...), used as the finding namespace.
    pub name: &'static str,
    /// Every check the family can fail.
    pub checks: &'static [&'static CheckMeta],
    /// Runs the family over a file.
    pub run: fn(&Ctx<'_>, &mut Diags),
}

/// The registry of Dockerfile check families.
pub static FAMILIES: &[Family] = &[
    user::FAMILY,
    base::FAMILY,
    add::FAMILY,
    remote::FAMILY,
    tls::FAMILY,
    unsigned::FAMILY,
    apt::FAMILY,
    apk::FAMILY,
    rpm::FAMILY,
    lang::FAMILY,
    secrets::FAMILY,
    ports::FAMILY,
    instructions::FAMILY,
];

/// Every Dockerfile check.
pub fn all_checks() -> impl Iterator<Item = &'static CheckMeta> {
    FAMILIES.iter().flat_map(|f| f.checks.iter().copied())
}

/// What a check sees: the parsed file, the parsed scripts of every `RUN`, and configuration.
pub struct Ctx<'a> {
    /// The Dockerfile.
    pub df: &'a Dockerfile,
    /// Configuration.
    pub cfg: &'a Config,
    runs: Vec<(&'a Instruction, Script)>,
    /// Byte offset of a RUN → its index in `runs`.
    run_at: std::collections::HashMap<usize, usize>,
}

impl<'a> Ctx<'a> {
    /// Prepares a context, parsing every `RUN` script once.
    pub fn new(df: &'a Dockerfile, cfg: &'a Config) -> Self {
        let runs = df
            .instructions
            .iter()
            .flat_map(|i| std::iter::once(i).chain(i.onbuild.as_deref()))
            .filter(|i| i.keyword == Keyword::Run)
            .map(|i| (i, run_script(i)))
            .collect::<Vec<_>>();
        let run_at = runs
            .iter()
            .enumerate()
            .map(|(n, (i, _))| (i.span.start, n))
            .collect();
        Ctx {
            df,
            cfg,
            runs,
            run_at,
        }
    }

    /// The parsed script of a top-level `RUN`.
    pub fn script_of(&self, ins: &Instruction) -> Option<&Script> {
        self.run_at.get(&ins.span.start).map(|&n| &self.runs[n].1)
    }

    /// Every `RUN` (ONBUILD triggers included) with its parsed script.
    pub fn runs(&self) -> impl Iterator<Item = (&'a Instruction, &Script)> {
        self.runs.iter().map(|(i, s)| (*i, s))
    }

    /// Every simple command of every `RUN`, with its instruction.
    pub fn commands(&self) -> impl Iterator<Item = (&'a Instruction, &Command)> {
        self.runs()
            .flat_map(|(i, s)| s.commands().into_iter().map(move |c| (i, c)))
    }

    /// The last stage.
    pub fn final_stage(&self) -> Option<&'a Stage> {
        self.df.stages.last()
    }

    /// Variables set by ENV, ARG defaults, `RUN` assignments and `export`, with the
    /// instruction that set them.
    pub fn settings(&self) -> Vec<(&'a Instruction, String, String)> {
        let mut out = Vec::new();
        for ins in &self.df.instructions {
            if matches!(ins.keyword, Keyword::Env | Keyword::Arg) {
                for (k, v) in key_values(ins.keyword, &ins.text()) {
                    if let Some(v) = v {
                        out.push((ins, k, v));
                    }
                }
            }
        }
        for (ins, cmd) in self.commands() {
            for (k, v) in &cmd.assignments {
                out.push((ins, k.clone(), v.clone()));
            }
            if cmd.program() == Some("export") {
                for w in cmd.effective().iter().skip(1) {
                    if let Some((k, v)) = w.split_once('=') {
                        out.push((ins, k.to_string(), v.to_string()));
                    }
                }
            }
        }
        out
    }
}

/// Lines of an instruction.
pub fn lines(i: &Instruction) -> (usize, usize) {
    (i.span.start_line, i.span.end_line)
}

/// The script a `RUN` executes: its heredoc when the instruction is `RUN <<EOF` (or a shell
/// fed a heredoc), its exec-form arguments, or its shell-form text.
fn run_script(i: &Instruction) -> Script {
    match &i.args {
        Args::Json(v) => shell::from_exec(v),
        Args::Shell(text) => {
            let first = text.split_whitespace().next().unwrap_or("");
            let shell_fed = matches!(
                shell::basename(first),
                "sh" | "bash" | "dash" | "ash" | "zsh"
            );
            match i.heredocs.first() {
                Some(h) if first.starts_with("<<") || shell_fed => {
                    let mut s = shell::parse(&h.content);
                    // A RUN line may hold commands next to the heredoc marker.
                    let rest = shell::parse(text);
                    s.pipelines.extend(
                        rest.pipelines
                            .into_iter()
                            .filter(|p| !p.commands.iter().all(|c| c.words.is_empty())),
                    );
                    s
                }
                _ => shell::parse(text),
            }
        }
    }
}

/// Options and positional arguments of a package-manager style command line, after the
/// program: `apt-get -q install -y --no-install-recommends curl=7.88 git`.
#[derive(Debug, Default)]
pub struct CmdLine<'c> {
    /// First positional word (the subcommand).
    pub sub: Option<&'c str>,
    /// Every option word, before and after the subcommand.
    pub opts: Vec<&'c str>,
    /// Positional words after the subcommand.
    pub args: Vec<&'c str>,
}

impl<'c> CmdLine<'c> {
    /// Splits `words` (program excluded). `with_value` lists options whose value is the next
    /// word.
    pub fn parse(words: &[&'c str], with_value: &[&str]) -> Self {
        let mut out = CmdLine::default();
        let mut i = 0;
        while let Some(&w) = words.get(i) {
            i += 1;
            if w == "--" {
                out.args.extend(words[i..].iter().copied());
                break;
            }
            if w.starts_with('-') && w.len() > 1 {
                out.opts.push(w);
                if with_value.contains(&w) {
                    i += 1;
                }
            } else if out.sub.is_none() {
                out.sub = Some(w);
            } else {
                out.args.push(w);
            }
        }
        out
    }

    /// True when option `long` or any of the short letters is present (`-y`, `-qy`).
    pub fn has(&self, long: &[&str], short: &[char]) -> bool {
        self.opts.iter().any(|o| {
            long.iter()
                .any(|l| *o == *l || o.strip_prefix(l).is_some_and(|r| r.starts_with('=')))
                || (!o.starts_with("--")
                    && o[1..].chars().all(|c| c.is_ascii_alphanumeric())
                    && o[1..].chars().any(|c| short.contains(&c)))
        })
    }
}

/// The commands of one RUN as (program, words after the program).
pub fn invocations(script: &Script) -> Vec<(&str, Vec<&str>)> {
    script
        .commands()
        .into_iter()
        .filter_map(|c| {
            let eff = c.effective();
            let prog = shell::basename(eff.first()?);
            Some((prog, eff[1..].to_vec()))
        })
        .collect()
}

/// True when the RUN mounts a cache at `target`.
pub fn has_cache_mount(i: &Instruction, target_prefix: &str) -> bool {
    i.flags.iter().any(|f| {
        f.name == "mount"
            && f.value.as_deref().is_some_and(|v| {
                v.contains("type=cache")
                    && v.split(',').any(|kv| {
                        kv.split_once('=').is_some_and(|(k, val)| {
                            matches!(k, "target" | "dst" | "destination")
                                && val.starts_with(target_prefix)
                        })
                    })
            })
    })
}
