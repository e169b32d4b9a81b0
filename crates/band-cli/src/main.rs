//! `band`: the command-line client. All the work is in the library.

fn main() -> std::process::ExitCode {
    band_cli::main()
}
