//! The `lakefeed` command line. Results go to stdout, logs to stderr.
//! Exit codes: 0 ok, 1 failure, 2 usage.

mod args;
mod commands;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;

/// Parses the process arguments, runs the command, and maps the outcome to an exit code.
/// Any binary can make this one call; link extra formats first with `use their_crate as _;`.
pub fn main() -> ExitCode {
    crate::link_builtin_formats();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging(cli.verbose);
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The class of the lakefeed error under any CLI context, as the seed names it.
            let class = e
                .chain()
                .find_map(|c| c.downcast_ref::<crate::Error>())
                .map_or(String::new(), |le| format!("{}: ", le.class().name()));
            // Errors are the one thing the CLI reports outside tracing: they must show whatever the log level.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {class}{e:#}");
            }
            ExitCode::from(1)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn,lakefeed=info,lakefeed_core=info,lakefeed_formats=info",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LAKEFEED_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
