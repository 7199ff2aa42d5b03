//! `osprey runtime ...`: Falco-compatible rules over runtime events.
//!
//! `rules check` loads and compiles rule files; `replay` evaluates a recorded event stream
//! (JSON Lines, docs/runtime-events.md). [`RuleArgs`] and [`OutputArgs`] are shared by every
//! subcommand that evaluates events, so live sensing reuses them unchanged.

use std::fs::OpenOptions;
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use osprey_runtime::engine::{Engine, EngineOptions};
use osprey_runtime::output::{Format, RateLimiter, Sink, WebhookSink, WriterSink};
use osprey_runtime::rules::Ruleset;

/// Runtime subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Falco rule files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Evaluate a recorded event stream (JSON Lines; `-` for stdin) against rules.
    Replay(ReplayArgs),
    /// Watch this machine with the eBPF sensor and evaluate rules live (needs root).
    Run(super::runtime_live::RunArgs),
    /// Record this machine's events with the eBPF sensor as JSON Lines for `replay` (needs root).
    Record(super::runtime_live::RecordArgs),
}

/// `osprey runtime rules ...`
#[derive(clap::Subcommand)]
pub enum RulesCommand {
    /// Load and compile rule files; print counts, fields used and warnings.
    Check {
        /// Rule files, loaded in order (later files may append to or override earlier ones).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Skip rules that use fields osprey cannot supply instead of failing.
        #[arg(long)]
        skip_unknown: bool,
    },
}

/// Which rules to load.
#[derive(clap::Args)]
pub struct RuleArgs {
    /// Rule files, loaded in order. Default: the built-in upstream Falco stable rules.
    #[arg(long = "rules", short = 'r', value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Skip rules that use fields osprey cannot supply instead of failing.
    #[arg(long)]
    pub skip_unknown: bool,
    /// Report every matching rule per event (Falco reports the first).
    #[arg(long)]
    pub all_matches: bool,
}

/// Alert output format.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum OutputFormat {
    /// One Falco-compatible JSON alert per line.
    Json,
    /// Falco's text line.
    Text,
}

/// Where alerts go.
#[derive(clap::Args)]
pub struct OutputArgs {
    /// Alert format on stdout and in `--output`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    /// Also append alerts to this file.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also POST each alert as JSON to this http:// URL (Falcosidekick, any webhook).
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Limit each rule to this many alerts per second of event time (0 = unlimited).
    #[arg(long, value_name = "PER_SEC", default_value_t = 0.0)]
    pub rate_limit: f64,
    /// Burst size for --rate-limit.
    #[arg(long, default_value_t = 10)]
    pub burst: u32,
}

/// `osprey runtime replay`
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Event file (JSON Lines), or `-` for stdin.
    pub events: PathBuf,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Rules(RulesCommand::Check {
            files,
            skip_unknown,
        }) => check(&files, skip_unknown),
        Command::Replay(args) => replay(args),
        Command::Run(args) => super::runtime_live::run(args),
        Command::Record(args) => super::runtime_live::record(args),
    }
}

fn load_ruleset(files: &[PathBuf]) -> anyhow::Result<Ruleset> {
    let mut rs = Ruleset::default();
    if files.is_empty() {
        rs.load_str(
            osprey_runtime::DEFAULT_RULES,
            osprey_runtime::DEFAULT_RULES_NAME,
        )?;
    }
    for f in files {
        rs.load_file(f)?;
    }
    Ok(rs)
}

/// Loads and compiles the rules `args` name, printing load warnings to stderr.
pub fn load_engine(args: &RuleArgs) -> anyhow::Result<Engine> {
    Ok(load_rules(args)?.1)
}

/// [`load_engine`], also returning the rule set it was compiled from.
pub fn load_rules(args: &RuleArgs) -> anyhow::Result<(Ruleset, Engine)> {
    let rs = load_ruleset(&args.rules)?;
    let engine = Engine::compile(
        &rs,
        EngineOptions {
            skip_unknown: args.skip_unknown,
            all_matches: args.all_matches,
        },
    )?;
    for (rule, why) in &engine.report.skipped {
        tracing::warn!("skipped rule `{rule}`: {why}");
    }
    for w in &engine.report.warnings {
        tracing::warn!("{w}");
    }
    Ok((rs, engine))
}

/// The sinks `args` asks for: stdout always, plus file and webhook.
pub fn build_sinks(args: &OutputArgs) -> anyhow::Result<Vec<Box<dyn Sink>>> {
    let format = match args.format {
        OutputFormat::Json => Format::Json,
        OutputFormat::Text => Format::Text,
    };
    let mut sinks: Vec<Box<dyn Sink>> = vec![Box::new(WriterSink::new(
        BufWriter::new(std::io::stdout()),
        format,
    ))];
    if let Some(path) = &args.output {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        sinks.push(Box::new(WriterSink::new(BufWriter::new(f), format)));
    }
    if let Some(url) = &args.webhook {
        sinks.push(Box::new(WebhookSink::new(url).map_err(anyhow::Error::msg)?));
    }
    Ok(sinks)
}

/// The rate limiter `args` asks for, if any.
pub fn rate_limiter(args: &OutputArgs) -> Option<RateLimiter> {
    (args.rate_limit > 0.0).then(|| RateLimiter::new(args.rate_limit, args.burst))
}

fn check(files: &[PathBuf], skip_unknown: bool) -> anyhow::Result<ExitCode> {
    let rs = load_ruleset(files)?;
    let engine = Engine::compile(
        &rs,
        EngineOptions {
            skip_unknown,
            all_matches: false,
        },
    )?;
    let r = &engine.report;
    let read = rs.items_read;
    println!(
        "rules: {} ({} enabled, {} skipped)",
        r.rules,
        r.enabled_rules,
        r.skipped.len()
    );
    println!("macros: {} ({} items read)", r.macros, read.macros);
    println!("lists: {} ({} items read)", r.lists, read.lists);
    let join =
        |s: &std::collections::BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(" ");
    println!(
        "condition fields ({}): {}",
        r.condition_fields.len(),
        join(&r.condition_fields)
    );
    println!(
        "output fields ({}): {}",
        r.output_fields.len(),
        join(&r.output_fields)
    );
    println!(
        "event types ({}): {}",
        r.event_types.len(),
        r.event_types.join(" ")
    );
    for (rule, why) in &r.skipped {
        println!("skipped: {rule}: {why}");
    }
    for w in &r.warnings {
        println!("warning: {w}");
    }
    Ok(ExitCode::SUCCESS)
}

fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let engine = load_engine(&args.rules)?;
    let mut sinks = build_sinks(&args.output)?;
    let mut limiter = rate_limiter(&args.output);
    let mut first_sink_error = None;
    let on_err = |e: &std::io::Error| {
        if first_sink_error.is_none() {
            first_sink_error = Some(e.to_string());
        }
    };
    let stats = if args.events.as_os_str() == "-" {
        osprey_runtime::replay::replay(
            std::io::stdin().lock(),
            &engine,
            limiter.as_mut(),
            &mut sinks,
            on_err,
        )
    } else {
        let f = std::fs::File::open(&args.events)
            .with_context(|| format!("opening {}", args.events.display()))?;
        osprey_runtime::replay::replay(
            BufReader::new(f),
            &engine,
            limiter.as_mut(),
            &mut sinks,
            on_err,
        )
    }
    .with_context(|| format!("replaying {}", args.events.display()))?;
    drop(sinks);
    let suppressed: u64 = stats.suppressed.values().sum();
    eprintln!(
        "{} events, {} alerts, {suppressed} suppressed by rate limit",
        stats.events, stats.alerts
    );
    for (rule, n) in &stats.suppressed {
        eprintln!("  suppressed {n}: {rule}");
    }
    if let Some(e) = first_sink_error {
        anyhow::bail!("{} alert deliveries failed; first: {e}", stats.sink_errors);
    }
    Ok(ExitCode::SUCCESS)
}
