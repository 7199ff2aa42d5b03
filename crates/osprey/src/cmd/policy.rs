//! `osprey policy test DIR...`: run gator-style Gatekeeper suites.

use std::path::PathBuf;
use std::process::ExitCode;

/// Policy subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Run every `suite.yaml` (gator `Suite`) under the given paths; exit 1 if a case fails.
    Test {
        /// Suite files or directories to search for `suite.yaml`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print passing cases too.
        #[arg(long, short)]
        verbose: bool,
    },
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let Command::Test { paths, verbose } = cmd;
    let suites = osprey_policy::suite::find_suites(&paths)?;
    if suites.is_empty() {
        anyhow::bail!("no suite.yaml found under the given paths");
    }
    let (mut passed, mut failed) = (0, 0);
    for suite in &suites {
        for r in osprey_policy::suite::run_suite(suite)? {
            match &r.failure {
                None => {
                    passed += 1;
                    if verbose {
                        println!("ok    {} {}/{}", suite.display(), r.test, r.case);
                    }
                }
                Some(why) => {
                    failed += 1;
                    println!("FAIL  {} {}/{}: {why}", suite.display(), r.test, r.case);
                }
            }
        }
    }
    println!(
        "{} suites, {} cases: {passed} passed, {failed} failed",
        suites.len(),
        passed + failed
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
