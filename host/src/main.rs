//! `faxbot`: the core daemon and its admin command line.

fn main() {
    println!("faxbot {}", env!("CARGO_PKG_VERSION"));
}
