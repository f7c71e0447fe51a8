//! std::process: Command running this program again through /proc/self/exe
//! (the guest root holds no other program), with RUST_PROCESS_MODE in the
//! child's environment selecting what the child does.  Captured output,
//! piped stdin, exit codes, spawn/try_wait/wait, kill, environment and
//! current_dir, and the errors of a program that cannot run.

use persona_guest::{check, done, scratch_dir};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

const SELF: &str = "/proc/self/exe";
const MODE: &str = "RUST_PROCESS_MODE";

/// What a child does, by mode.
fn child(mode: &str) -> ! {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match mode {
        "hello" => {
            println!("hello from the child");
            eprintln!("to stderr");
            std::process::exit(0)
        }
        "exit" => std::process::exit(args[0].parse().unwrap()),
        "upper" => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).unwrap();
            print!("{}", s.to_uppercase());
            std::process::exit(0)
        }
        "args" => {
            println!("{}", args.len());
            for a in &args {
                println!("[{}]", a);
            }
            std::process::exit(0)
        }
        "env" => {
            let mut vars: Vec<String> = std::env::vars()
                .filter(|(k, _)| k != MODE)
                .map(|(k, v)| format!("{}={}", k, v))
                .collect();
            vars.sort();
            println!("{}", vars.join(";"));
            let cwd = std::env::current_dir().unwrap();
            let want = std::env::var("WANT_CWD").unwrap_or_default();
            println!("{}", if cwd.to_str() == Some(&want) { "cwd as asked" } else { "cwd differs" });
            std::process::exit(0)
        }
        "big" => {
            let chunk = vec![b'z'; 65536];
            let mut out = std::io::stdout().lock();
            for _ in 0..16 {
                out.write_all(&chunk).unwrap();
            }
            std::process::exit(0)
        }
        "sleep" => {
            std::thread::sleep(std::time::Duration::from_secs(30));
            std::process::exit(0)
        }
        _ => std::process::exit(99),
    }
}

fn main() {
    if let Ok(mode) = std::env::var(MODE) {
        child(&mode);
    }

    let out = Command::new(SELF).env(MODE, "hello").output().unwrap();
    check(out.status.success() && out.status.code() == Some(0), "output(): exit status 0");
    check(out.stdout == b"hello from the child\n", "output(): stdout captured");
    check(out.stderr == b"to stderr\n", "output(): stderr captured");

    for code in [0, 3, 255] {
        let st = Command::new(SELF).env(MODE, "exit").arg(code.to_string()).status().unwrap();
        check(st.code() == Some(code), &format!("status(): exit code {}", code));
    }

    let out = Command::new(SELF)
        .env(MODE, "args")
        .args(["one", "two words", "", "ü"])
        .output()
        .unwrap();
    check(
        out.stdout == "4\n[one]\n[two words]\n[]\n[ü]\n".as_bytes(),
        "arguments reach the child unchanged",
    );

    let mut c = Command::new(SELF)
        .env(MODE, "upper")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(b"some text\nline two\n").unwrap();
    let out = c.wait_with_output().unwrap();
    check(out.stdout == b"SOME TEXT\nLINE TWO\n" && out.status.success(), "piped stdin is read and transformed");

    let out = Command::new(SELF).env(MODE, "big").output().unwrap();
    check(out.stdout.len() == 1 << 20 && out.stdout.iter().all(|&b| b == b'z'), "1 MiB of stdout through the pipe");

    let mut c = Command::new(SELF).env(MODE, "exit").arg("4").spawn().unwrap();
    let st = c.wait().unwrap();
    check(st.code() == Some(4), "spawn + wait: exit code 4");
    check(c.try_wait().unwrap() == Some(st), "try_wait after wait gives the same status");

    let mut c = Command::new(SELF).env(MODE, "sleep").stdout(Stdio::null()).spawn().unwrap();
    check(c.try_wait().unwrap().is_none(), "try_wait on a running child gives None");
    c.kill().unwrap();
    let st = c.wait().unwrap();
    check(st.signal() == Some(9) && st.code().is_none(), "kill + wait: killed by SIGKILL");

    let dir = scratch_dir("process");
    let out = Command::new(SELF)
        .env_clear()
        .env(MODE, "env")
        .env("PERSONA_X", "value 1")
        .env("WANT_CWD", &dir)
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let vars = lines.next().unwrap_or("");
    check(
        vars.starts_with("PERSONA_X=value 1;WANT_CWD=/tmp/persona-process-")
            && vars.split(';').count() == 2,
        "env_clear + env: the child sees exactly the variables given",
    );
    check(lines.next() == Some("cwd as asked"), "current_dir: the child starts there");

    let out = Command::new(SELF).env(MODE, "env").env_remove("PERSONA_TEST").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    check(
        !text.contains("PERSONA_TEST=") && text.contains("HOME=/tmp"),
        "env_remove drops one variable, the rest is inherited",
    );

    let e = Command::new("/nonexistent/program").spawn().unwrap_err();
    check(e.kind() == ErrorKind::NotFound, "a missing program: NotFound");
    let e = Command::new(&dir).spawn().unwrap_err();
    check(e.kind() == ErrorKind::PermissionDenied, "a directory: PermissionDenied");
    let f = dir.join("not-executable");
    std::fs::write(&f, "data").unwrap();
    let e = Command::new(&f).spawn().unwrap_err();
    check(e.kind() == ErrorKind::PermissionDenied, "a file without x bit: PermissionDenied");
    let e = Command::new(SELF).current_dir(dir.join("missing")).spawn().unwrap_err();
    check(e.kind() == ErrorKind::NotFound, "a missing current_dir: NotFound");
    std::fs::remove_file(&f).unwrap();
    std::fs::remove_dir(&dir).unwrap();
    done();
}
