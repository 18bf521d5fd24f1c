//! Replays inputs (e.g. fuzz artifacts): parse, write, parse again, compare.
//! `cargo run -p heapsnap-format --example replay -- FILE...`
fn main() {
    for p in std::env::args().skip(1) {
        let b = std::fs::read(&p).expect("readable input");
        let t = std::time::Instant::now();
        match heapsnap_format::HeapSnapshot::from_slice(&b) {
            Err(e) => println!("{p}: error {e} ({:?})", t.elapsed()),
            Ok(s) => {
                let mut out = Vec::new();
                s.write_to(&mut out).expect("writing to memory");
                let back = heapsnap_format::HeapSnapshot::from_slice(&out);
                match back {
                    Ok(b2) if b2 == s => println!("{p}: ok round trip"),
                    Ok(_) => println!("{p}: ROUND TRIP DIFFERS\n{}", String::from_utf8_lossy(&out)),
                    Err(e) => {
                        println!("{p}: REPARSE FAILED {e}\n{}", String::from_utf8_lossy(&out))
                    }
                }
            }
        }
    }
}
