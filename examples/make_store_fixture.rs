//! Writes `tests/fixtures/store-v1.redb`: run once per store format, commit the file, and
//! never regenerate an old one (it is the proof that old files still open).
//! `cargo run --example make_store_fixture -- tests/fixtures/store-v1.redb`

#[path = "../tests/fixtures/store_v1_records.rs"]
mod fixture;

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "tests/fixtures/store-v1.redb".into());
    anyhow::ensure!(!std::path::Path::new(&path).exists(), "{path} exists: never overwrite a fixture");
    let store = wss_panel::store::Store::open(path.as_ref())?;
    fixture::write_all(&store)?;
    println!("wrote {path}");
    Ok(())
}
