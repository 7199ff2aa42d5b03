//! `osprey db`: the advisory store.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};

/// Subcommands of `osprey db`.
#[derive(Subcommand)]
pub enum DbCommand {
    /// Build the advisory store from a feed directory (`osv/`, `debian/`, `alpine/`). The file
    /// is written next to OUT under a temporary name and renamed into place when complete.
    Build {
        /// Feed directory (the layout of `shared/vulndata`).
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// Store file to create or replace.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Fetch the OSV per-ecosystem archives (`<base>/<Ecosystem>/all.zip`) and rebuild the
    /// store from them. The new store replaces the old one only when complete; a failed or
    /// interrupted update leaves the old one working.
    Update {
        /// Mirror base URL, or a directory with the same layout for machines without network
        /// access (fill it with `<Ecosystem>/all.zip` files copied from the OSV bucket).
        #[arg(long, value_name = "URL|DIR", env = "OSPREY_DB_MIRROR", default_value = osprey_dbupdate::DEFAULT_MIRROR)]
        mirror: String,
        /// Store file to replace (default: $OSPREY_DB, else db/osprey.db in the cache directory).
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
    },
    /// Show what a store holds: path, schema version, build time and age, entries per source.
    Info {
        /// Store file (default: $OSPREY_DB, else db/osprey.db in the cache directory).
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = InfoFormat::Table)]
        format: InfoFormat,
    },
}

/// `osprey db info` output formats.
#[derive(Clone, Copy, ValueEnum)]
pub enum InfoFormat {
    /// Lines for people.
    Table,
    /// One JSON object.
    Json,
}

/// Runs one `osprey db` subcommand.
pub fn run(command: DbCommand, quiet: bool) -> anyhow::Result<()> {
    match command {
        DbCommand::Build { from, out } => {
            let started = Instant::now();
            let contents = osprey_vulndb::build(&from, &out)
                .with_context(|| format!("building {} from {}", out.display(), from.display()))?;
            for warning in &contents.warnings {
                tracing::warn!("skipped: {warning}");
            }
            println!(
                "{}: {} OSV records ({} withdrawn, {} package entries), {} Debian and {} Alpine verdicts, {} skipped, in {:.2} s",
                out.display(),
                contents.osv_records,
                contents.osv_withdrawn,
                contents.osv_affected,
                contents.debian,
                contents.alpine,
                contents.warnings.len(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        DbCommand::Update { mirror, db } => update(&mirror, db, quiet),
        DbCommand::Info { db, format } => info(db.as_deref(), format),
    }
}

/// Where `db update` writes: `--db`, else `$OSPREY_DB`, else the cache directory.
fn update_target(db: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    db.or_else(|| {
        std::env::var_os("OSPREY_DB")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
    .or_else(osprey_vulndb::default_db_path)
    .context("no place for the store: give --db FILE or set OSPREY_DB (no cache directory: $OSPREY_CACHE_DIR, $XDG_CACHE_HOME and $HOME are unset)")
}

fn update(mirror: &str, db: Option<PathBuf>, quiet: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = update_target(db)?;
    let mirror = osprey_dbupdate::Mirror::parse(mirror)?;
    let opts = osprey_dbupdate::UpdateOptions {
        mirror,
        db: db.clone(),
        ecosystems: osprey_dbupdate::ECOSYSTEMS.map(String::from).to_vec(),
        limits: osprey_dbupdate::Limits::default(),
    };
    let bar = crate::progress::DownloadBar::new(quiet);
    let report = osprey_dbupdate::update(&opts, &bar).with_context(|| {
        format!(
            "updating {} from {} (the previous store, if any, is unchanged)",
            db.display(),
            opts.mirror
        )
    })?;
    bar.finish();
    if !report.missing.is_empty() {
        tracing::warn!(
            "mirror {} has no archive for: {}",
            opts.mirror,
            report.missing.join(", ")
        );
    }
    for warning in report.contents.warnings.iter().take(20) {
        tracing::warn!("skipped: {warning}");
    }
    let c = &report.contents;
    let fetched: Vec<String> = report
        .fetched
        .iter()
        .map(|f| format!("{} {}", f.ecosystem, f.records))
        .collect();
    println!(
        "{}: {} OSV records from {} ({}), {} Debian and {} Alpine verdicts, {} skipped, in {:.2} s",
        db.display(),
        c.osv_records,
        opts.mirror,
        fetched.join(", "),
        c.debian,
        c.alpine,
        c.warnings.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn info(db: Option<&Path>, format: InfoFormat) -> anyhow::Result<()> {
    let path = osprey_vulndb::locate_db(db)?;
    let store = osprey_vulndb::Store::open(&path)?;
    let info = store.info()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let age = info.built_at.map(|t| now.saturating_sub(t));
    match format {
        InfoFormat::Json => {
            let sources: Vec<serde_json::Value> = info
                .sources
                .iter()
                .map(|s| serde_json::json!({"kind": s.kind, "name": s.name, "entries": s.entries}))
                .collect();
            let doc = serde_json::json!({
                "path": info.path,
                "schema_version": info.schema_version,
                "built_from": info.built_from,
                "built_at": info.built_at.map(crate::target::rfc3339),
                "age_seconds": age,
                "osv_records": info.osv_records,
                "sources": sources,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        InfoFormat::Table => {
            println!("path:           {}", info.path.display());
            println!("schema version: {}", info.schema_version);
            println!(
                "built from:     {}",
                info.built_from.as_deref().unwrap_or("(not recorded)")
            );
            match (info.built_at, age) {
                (Some(at), Some(age)) => println!(
                    "built at:       {} ({} ago)",
                    crate::target::rfc3339(at),
                    human_age(age)
                ),
                _ => println!("built at:       (not recorded)"),
            }
            println!("OSV records:    {}", info.osv_records);
            println!("sources:");
            for s in &info.sources {
                let unit = if s.kind == "osv" {
                    "records"
                } else {
                    "verdicts"
                };
                println!("  {:<7} {:<24} {:>8} {unit}", s.kind, s.name, s.entries);
            }
        }
    }
    Ok(())
}

/// `3d 4h`, `5h 2m`, `12m`, `40s`.
fn human_age(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs / 3_600 % 24, secs / 60 % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}
