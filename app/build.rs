//! Generates the typed translation module from `locales/*.json`.
//!
//! With leptos_i18n's parser and code generator themselves, not their
//! `leptos_i18n_build` wrapper: the wrapper also carries ICU's data
//! generator (a WebAssembly interpreter, an HTTP client, TLS), which every
//! build compiled twice, for the server and for the WASM, and never ran.

use leptos_i18n_parser::parse_locales::options::{Config, ParseOptions};
use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR unset")?).join("i18n");
    // Interpolated strings are also needed as plain text (error messages).
    let options = ParseOptions::default().interpolate_display(true);
    let cfg = Config::new("zh")?.add_locale("en")?.parse_options(options);
    let parsed = leptos_i18n_parser::parse_locales::parse_locales(None, cfg)?;
    for warning in parsed.diag.warnings().iter() {
        println!("cargo::warning={warning}");
    }
    for error in parsed.diag.errors().iter() {
        println!("cargo::error={error}");
    }
    for path in parsed.tracked_files.iter().flatten() {
        println!("cargo::rerun-if-changed={path}");
    }
    // No crate path (leptos_i18n is a direct dependency), no diagnostics
    // (printed above), no top-level attributes, the keys' docs.
    let code = leptos_i18n_codegen::gen_code(&parsed, None, false, None, true)?;
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("mod.rs"), code.to_string())?;
    Ok(())
}
