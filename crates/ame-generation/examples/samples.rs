//! Writes the golden sample set to a directory (`cargo xtask samples` writes `docs/samples/`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_generation::speech::EspeakNg;
use ame_generation::{BuiltInModel, Generator, samples};
use std::sync::Arc;

#[tokio::main]
async fn main() {
    let out = std::env::args().nth(1).expect("usage: samples OUTPUT_DIR");
    let generator = Generator::new(Arc::new(BuiltInModel), Arc::new(EspeakNg::new()));
    let files = samples::generate(&generator).await;
    let root = std::path::Path::new(&out);
    if root.exists() {
        std::fs::remove_dir_all(root).unwrap();
    }
    for file in &files {
        let path = root.join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &file.bytes).unwrap();
    }
    println!("wrote {} sample files to {out}", files.len());
}
