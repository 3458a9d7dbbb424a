//! The Stylus code format as Strand deploys it.
//!
//! A Stylus program is stored on chain as `0xEFF000` followed by a
//! dictionary byte (`0x00`: none) and the brotli-compressed WASM. The
//! compressed form must fit the chain's contract size limit of 24 KiB.
//!
//! Strand deploys with a plain `CREATE` whose init code first writes the
//! deploying account (`CALLER`) into storage slot 0, then returns the
//! program's code. Each Strand program keeps its deployer in slot 0 and
//! lets only that account call `initialize`, so nobody can initialise a
//! program between its deployment and its initialisation.
//!
//! This crate does not re-derive anything else: activation, for chains that
//! require it, is one call to the ArbWasm precompile, made by the deployer.

use std::io::Write;

/// The largest contract code the chain accepts, in bytes (EIP-170, which
/// Stylus applies to the compressed program plus its prefix).
pub const MAX_CODE_SIZE: usize = 24_576;

/// Stylus program prefix: `0xEFF000`, then the dictionary byte (none).
pub const PROGRAM_PREFIX: [u8; 4] = [0xEF, 0xF0, 0x00, 0x00];

/// Brotli settings the Stylus toolchain uses: best quality, 4 MiB window.
const BROTLI_QUALITY: u32 = 11;
const BROTLI_WINDOW: u32 = 22;

/// Why a program cannot be deployed as it is.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodeError {
    /// The input is not a WASM module.
    #[error("not a WASM module: the file does not start with \\0asm")]
    NotWasm,
    /// The compressed program is over the chain's limit.
    #[error("program is {size} bytes compressed, over the chain's limit of {MAX_CODE_SIZE} bytes")]
    TooLarge {
        /// Size of prefix plus compressed WASM.
        size: usize,
    },
}

/// Compresses `wasm` as the Stylus toolchain does.
pub fn compress(wasm: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(wasm.len() / 2);
    {
        let mut writer =
            brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, BROTLI_WINDOW);
        writer.write_all(wasm).expect("writing to a Vec cannot fail");
    }
    out
}

/// The code a Stylus program is stored as: prefix plus compressed WASM.
///
/// # Errors
/// [`CodeError::NotWasm`] for input without the WASM magic number, and
/// [`CodeError::TooLarge`] when the result is over [`MAX_CODE_SIZE`].
pub fn program_code(wasm: &[u8]) -> Result<Vec<u8>, CodeError> {
    if !wasm.starts_with(b"\0asm") {
        return Err(CodeError::NotWasm);
    }
    let mut code = PROGRAM_PREFIX.to_vec();
    code.extend(compress(wasm));
    if code.len() > MAX_CODE_SIZE {
        return Err(CodeError::TooLarge { size: code.len() });
    }
    Ok(code)
}

/// EVM init code that stores `CALLER` in slot 0 and returns `code`.
///
/// `code` must be at most 65,535 bytes, which [`program_code`] guarantees.
pub fn init_code(code: &[u8]) -> Vec<u8> {
    let len = u16::try_from(code.len()).expect("program code is at most MAX_CODE_SIZE bytes");
    let [hi, lo] = len.to_be_bytes();
    #[rustfmt::skip]
    let mut init = vec![
        0x33,             // CALLER
        0x5f,             // PUSH0
        0x55,             // SSTORE        slot 0 = deployer
        0x61, hi, lo,     // PUSH2 len
        0x80,             // DUP1
        0x61, 0x00, 0x0e, // PUSH2 14      code starts after these 14 bytes
        0x5f,             // PUSH0
        0x39,             // CODECOPY      memory[0..len] = code
        0x5f,             // PUSH0
        0xf3,             // RETURN        memory[0..len]
    ];
    debug_assert_eq!(init.len(), 14);
    init.extend_from_slice(code);
    init
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY_WASM: &[u8] = b"\0asm\x01\0\0\0";

    #[test]
    fn program_code_is_prefix_then_brotli_of_the_wasm() {
        let code = program_code(TINY_WASM).unwrap();
        assert_eq!(&code[..4], &PROGRAM_PREFIX);
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &code[4..], &mut back).unwrap();
        assert_eq!(back, TINY_WASM);
    }

    #[test]
    fn program_code_rejects_what_is_not_wasm() {
        assert_eq!(program_code(b"hello"), Err(CodeError::NotWasm));
    }

    #[test]
    fn program_code_rejects_a_program_over_the_limit() {
        // Incompressible bytes: a linear congruential sequence.
        let mut wasm = TINY_WASM.to_vec();
        let mut x: u32 = 1;
        for _ in 0..40_000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            wasm.push((x >> 24) as u8);
        }
        assert!(matches!(program_code(&wasm), Err(CodeError::TooLarge { size }) if size > 24_576));
    }

    #[test]
    fn init_code_stores_the_caller_and_returns_the_code() {
        let code = [0xEF, 0xF0, 0x00, 0x00, 0xAA, 0xBB];
        let init = init_code(&code);
        assert_eq!(
            init,
            [
                0x33, 0x5f, 0x55, 0x61, 0x00, 0x06, 0x80, 0x61, 0x00, 0x0e, 0x5f, 0x39, 0x5f, 0xf3,
                0xEF, 0xF0, 0x00, 0x00, 0xAA, 0xBB
            ]
        );
    }
}
