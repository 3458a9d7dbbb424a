//! `strand-wasm-size FILE...`: prints each Stylus program's raw and
//! brotli-compressed size, and exits non-zero if any is over the chain's
//! 24 KiB limit or is not WASM.

use std::process::ExitCode;

use strand_stylus::{program_code, CodeError, MAX_CODE_SIZE, PROGRAM_PREFIX};

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: strand-wasm-size FILE.wasm...");
        return ExitCode::from(2);
    }
    let mut ok = true;
    println!("{:<24} {:>10} {:>12} {:>8}", "program", "raw bytes", "compressed", "limit");
    for path in &files {
        let name = std::path::Path::new(path)
            .file_name()
            .map_or(path.as_str(), |n| n.to_str().unwrap_or(path));
        let wasm = match std::fs::read(path) {
            Ok(wasm) => wasm,
            Err(e) => {
                eprintln!("error: cannot read {path}: {e}");
                ok = false;
                continue;
            }
        };
        match program_code(&wasm) {
            Ok(code) => {
                let compressed = code.len() - PROGRAM_PREFIX.len();
                let share = compressed * 100 / MAX_CODE_SIZE;
                println!("{name:<24} {:>10} {compressed:>12} {share:>7}%", wasm.len());
            }
            Err(CodeError::TooLarge { size }) => {
                println!("{name:<24} {:>10} {size:>12}   OVER", wasm.len());
                eprintln!("error: {name} is {size} bytes compressed; the limit is {MAX_CODE_SIZE}");
                ok = false;
            }
            Err(e) => {
                eprintln!("error: {path}: {e}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
