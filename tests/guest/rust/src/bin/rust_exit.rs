//! process::exit with a code after printing: the runner compares the status.

fn main() {
    println!("exiting with 7");
    std::process::exit(7);
}
