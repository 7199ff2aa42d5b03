//! Walks every layer of an image (or a root filesystem) and prints entry counts and timing:
//! `cargo run --release -p osprey-image --example walk -- REFERENCE [--read]`.
//! With `--read` every file's content is read, as a secret scan would.

use osprey_image::{ImageRef, OpenOptions, open, open_layer, walk_dir, walk_layer};
use std::io::Read;
use std::time::Instant;

fn drain(content: &mut dyn Read, read: bool) -> u64 {
    if read {
        std::io::copy(content, &mut std::io::sink()).unwrap_or(0)
    } else {
        0
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let reference: ImageRef = args
        .next()
        .ok_or("usage: walk REFERENCE [--read]")?
        .parse()?;
    let read = args.next().as_deref() == Some("--read");
    let started = Instant::now();
    if let ImageRef::RootFs { path } = &reference {
        let bytes = std::sync::atomic::AtomicU64::new(0);
        let stats = walk_dir(path, |_, content| {
            bytes.fetch_add(drain(content, read), std::sync::atomic::Ordering::Relaxed);
            Ok(())
        })?;
        println!(
            "{reference}: {} entries, {} skipped, {} unreadable, {} bytes read in {:?}",
            stats.entries,
            stats.skipped,
            stats.unreadable.len(),
            bytes.into_inner(),
            started.elapsed()
        );
        return Ok(());
    }
    let image = open(&reference, &OpenOptions::default())?;
    let mut total = 0;
    for (i, layer) in image.metadata().layers.iter().enumerate() {
        let mut bytes = 0;
        let stats = walk_layer(
            open_layer(image.as_ref(), i)?,
            &layer.digest,
            |_, content| {
                bytes += drain(content, read);
                Ok(())
            },
        )?;
        total += stats.entries;
        println!(
            "{}: {} entries, {bytes} bytes read",
            layer.digest, stats.entries
        );
    }
    println!("{reference}: {total} entries in {:?}", started.elapsed());
    Ok(())
}
