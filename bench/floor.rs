//! bench/floor.rs: the physical floor for writing a tree, built by `bench/run` with `rustc -O`.
//!
//! Reads a bundle (`bench/measure.py` makes it from fluxgen's own output: for each file its
//! relative path, a newline, its length in bytes, a newline, the bytes) and writes every file
//! below the output directory: directories made as needed, each file created and written once.
//! No config, no YAML, no checks, no temporary files, no flush: what any tool writing the same
//! bytes must at least do.
//!
//!     floor BUNDLE OUT_DIR

use std::fs;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, bundle, out] = args.as_slice() else {
        eprintln!("usage: floor BUNDLE OUT_DIR");
        std::process::exit(2);
    };
    let bytes = fs::read(bundle).expect("read the bundle");
    let out = Path::new(out);
    let mut rest = bytes.as_slice();
    let mut made = std::collections::HashSet::new();
    while !rest.is_empty() {
        let (path, after) = line(rest);
        let (length, after) = line(after);
        let length: usize = std::str::from_utf8(length).unwrap().parse().expect("a length");
        let (content, after) = after.split_at(length);
        let path = out.join(std::str::from_utf8(path).expect("a UTF-8 path"));
        let parent = path.parent().expect("a parent").to_path_buf();
        if !made.contains(&parent) {
            fs::create_dir_all(&parent).expect("make a directory");
            made.insert(parent);
        }
        fs::write(&path, content).expect("write a file");
        rest = after;
    }
}

fn line(bytes: &[u8]) -> (&[u8], &[u8]) {
    let end = bytes.iter().position(|&b| b == b'\n').expect("a newline");
    (&bytes[..end], &bytes[end + 1..])
}
