fn main() -> std::process::ExitCode {
    lakefeed::cli::main()
}
