//! Builds the storage shim (`shim.c`) with the machine's C compiler, once per suite run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The built shim.
pub struct Shim {
    pub library: PathBuf,
}

impl Shim {
    /// Compiles `shim.c` into `folder`; `None` (and a message) when no C compiler works.
    pub fn build(folder: &Path) -> Option<Self> {
        let source = folder.join("shim.c");
        let library = folder.join("shim.so");
        std::fs::write(&source, include_str!("shim.c")).ok()?;
        let built = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-shared", "-fPIC", "-O2", "-Wall", "-o"])
            .arg(&library)
            .arg(&source)
            .arg("-ldl")
            .arg("-lpthread")
            .stderr(Stdio::inherit())
            .status()
            .is_ok_and(|status| status.success());
        if !built {
            println!(
                "no C compiler could build the storage shim: power cuts and read-only storage are skipped"
            );
        }
        built.then_some(Self { library })
    }
}
