//! env::args and env::vars as tests/run-guests.sh passes them.

use persona_guest::{check, done};
use std::env;

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    println!("     args: {:?}", args);
    check(args == ["alpha", "beta gamma", ""], "arguments arrive intact");
    let mut vars: Vec<(String, String)> = env::vars().collect();
    vars.sort();
    for (k, v) in &vars {
        println!("     env {}={}", k, v);
    }
    check(env::var("PERSONA_TEST").as_deref() == Ok("guest"), "env::var PERSONA_TEST");
    check(env::var("NOT_SET_ANYWHERE").is_err(), "a missing variable is Err");
    env::set_var("ADDED", "yes");
    check(env::var("ADDED").as_deref() == Ok("yes"), "set_var then var");
    check(env::current_exe().is_ok(), "current_exe");
    done()
}
