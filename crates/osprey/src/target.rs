//! Opening what the user named (an image reference or a root filesystem) and running the
//! layer pipeline over it with the analyzers a command needs.

use crate::progress::LayerBar;
use anyhow::Context;
use osprey_image::{ImageRef, OpenOptions, Platform};
use osprey_model::LayerInfo;
use osprey_model::report::{Metadata, Report, SCHEMA_VERSION};
use osprey_scan::{Analyzer, LayerCache, ScanOptions, Squashed};
use std::path::PathBuf;

/// Options shared by every command that reads images.
#[derive(clap::Args, Debug, Clone)]
pub struct ImageOpts {
    /// Platform to pick from a multi-arch index (default: this host's), e.g. linux/arm64.
    #[arg(long)]
    pub platform: Option<Platform>,
    /// Allow plain HTTP to registries on loopback addresses.
    #[arg(long)]
    pub insecure: bool,
    /// Registry user name (else ~/.docker/config.json).
    #[arg(long, env = "OSPREY_USERNAME")]
    pub username: Option<String>,
    /// Registry password.
    #[arg(long, env = "OSPREY_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Extra CA certificate (PEM) to trust for registry TLS.
    #[arg(long)]
    pub registry_ca: Option<PathBuf>,
    /// Cache directory for per-layer results (default: $OSPREY_CACHE_DIR, ~/.cache/osprey).
    #[arg(long, env = "OSPREY_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Analyse every layer even when cached results exist (and do not write the cache).
    #[arg(long)]
    pub no_cache: bool,
}

/// What a scan produced, before any capability turns facts into findings.
pub struct Scanned {
    /// The report with artifact metadata and no results yet.
    pub report: Report,
    /// Squashed facts.
    pub squashed: Squashed,
    /// Layers (empty for a root filesystem).
    pub layers: Vec<LayerInfo>,
}

/// Scans `reference` with `analyzers`: an image, or a root filesystem for `rootfs:DIR`.
pub fn scan(
    reference: &str,
    opts: &ImageOpts,
    analyzers: &[Box<dyn Analyzer>],
    quiet: bool,
) -> anyhow::Result<Scanned> {
    let parsed: ImageRef = reference
        .parse()
        .with_context(|| format!("cannot understand {reference:?} as an image reference"))?;
    if let ImageRef::RootFs { path: dir } = &parsed {
        return scan_rootfs(reference, dir, analyzers);
    }
    let open_opts = OpenOptions {
        platform: opts.platform.clone(),
        registry: osprey_image::registry::RegistryOptions {
            insecure: opts.insecure,
            username: opts.username.clone(),
            password: opts.password.clone(),
            ca_file: opts.registry_ca.clone(),
            ..Default::default()
        },
    };
    let src = osprey_image::open(&parsed, &open_opts)?;
    let cache = (!opts.no_cache).then(|| {
        LayerCache::new(
            opts.cache_dir
                .clone()
                .unwrap_or_else(LayerCache::default_dir),
        )
    });
    let bar = LayerBar::new(quiet);
    let scan = osprey_scan::scan_image(
        src.as_ref(),
        analyzers,
        &ScanOptions {
            cache,
            progress: Some(&bar),
        },
    )?;
    tracing::debug!(
        "{} of {} layers from cache, {} entries walked",
        scan.cached_layers,
        scan.layers.len(),
        scan.entries_walked
    );
    let meta = src.metadata();
    let report = Report {
        schema_version: SCHEMA_VERSION,
        created_at: now_rfc3339(),
        artifact_name: reference.to_string(),
        artifact_type: "container_image".into(),
        metadata: Metadata {
            os: None,
            image_id: meta.config_digest.clone(),
            diff_ids: meta.layers.iter().map(|l| l.diff_id.clone()).collect(),
            repo_tags: meta.repo_tags.clone(),
            repo_digests: meta.repo_digests.clone(),
            image_config: meta.config.clone(),
            layers: scan.layers.iter().map(Into::into).collect(),
        },
        results: Vec::new(),
    };
    Ok(Scanned {
        report,
        squashed: scan.squashed,
        layers: scan.layers,
    })
}

fn scan_rootfs(
    reference: &str,
    dir: &std::path::Path,
    analyzers: &[Box<dyn Analyzer>],
) -> anyhow::Result<Scanned> {
    let squashed = osprey_scan::scan_rootfs(dir, analyzers)
        .with_context(|| format!("scanning root filesystem {}", dir.display()))?;
    Ok(Scanned {
        report: Report {
            schema_version: SCHEMA_VERSION,
            created_at: now_rfc3339(),
            artifact_name: reference.to_string(),
            artifact_type: "rootfs".into(),
            ..Default::default()
        },
        squashed,
        layers: Vec::new(),
    })
}

/// Skipped files are never silent: one warning line each (they also stay in the facts).
pub fn warn_skipped(squashed: &Squashed) {
    for s in &squashed.skipped {
        match s.layer {
            Some(l) => tracing::warn!(
                "{} skipped {} (layer {l}): {}",
                s.analyzer,
                s.path,
                s.reason
            ),
            None => tracing::warn!("{} skipped {}: {}", s.analyzer, s.path, s.reason),
        }
    }
}

/// The current UTC time, RFC 3339, without pulling in a date crate.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Formats seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days algorithm).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_704_864), "2026-11-26T14:54:24Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
