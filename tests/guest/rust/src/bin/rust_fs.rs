//! Files and directories through std::fs.

use persona_guest::{check, done, scratch_dir};
use std::fs;
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};

fn main() {
    let dir = scratch_dir("fs");
    let a = dir.join("a.txt");
    fs::write(&a, b"hello\nworld\n").unwrap();
    check(fs::read_to_string(&a).unwrap() == "hello\nworld\n", "write then read_to_string");
    let md = fs::metadata(&a).unwrap();
    check(md.is_file() && md.len() == 12, "metadata: file of 12 bytes");
    check(md.modified().is_ok(), "metadata: modified time");

    let mut f = fs::OpenOptions::new().append(true).open(&a).unwrap();
    f.write_all(b"more\n").unwrap();
    drop(f);
    let mut f = fs::File::open(&a).unwrap();
    f.seek(SeekFrom::Start(6)).unwrap();
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    check(s == "world\nmore\n", "append, seek and read");

    fs::create_dir_all(dir.join("x/y/z")).unwrap();
    for name in ["m", "c", "k", "b"] {
        fs::write(dir.join("x").join(name), name.as_bytes()).unwrap();
    }
    let mut names: Vec<String> = fs::read_dir(dir.join("x"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    println!("     read_dir x: {}", names.join(" "));
    check(names == ["b", "c", "k", "m", "y"], "read_dir lists five entries");
    check(fs::metadata(dir.join("x/y")).unwrap().is_dir(), "x/y is a directory");

    fs::rename(&a, dir.join("b.txt")).unwrap();
    check(!a.exists() && dir.join("b.txt").exists(), "rename");
    fs::copy(dir.join("b.txt"), dir.join("c.txt")).unwrap();
    check(fs::read(dir.join("c.txt")).unwrap().len() == 17, "fs::copy");
    std::os::unix::fs::symlink("b.txt", dir.join("link")).unwrap();
    check(fs::read_link(dir.join("link")).unwrap().to_str() == Some("b.txt"), "symlink and read_link");
    check(fs::symlink_metadata(dir.join("link")).unwrap().file_type().is_symlink(), "symlink_metadata");
    check(fs::canonicalize(dir.join("link")).unwrap() == fs::canonicalize(dir.join("b.txt")).unwrap(), "canonicalize follows the link");

    let e = fs::read(dir.join("missing")).unwrap_err();
    check(e.kind() == ErrorKind::NotFound, "reading a missing file is NotFound");
    let e = fs::create_dir(dir.join("x")).unwrap_err();
    check(e.kind() == ErrorKind::AlreadyExists, "create_dir on an existing dir is AlreadyExists");
    check(fs::remove_dir(dir.join("x")).is_err(), "remove_dir on a non-empty dir fails");

    fs::remove_file(dir.join("b.txt")).unwrap();
    fs::remove_file(dir.join("c.txt")).unwrap();
    fs::remove_file(dir.join("link")).unwrap();
    fs::remove_dir_all(dir.join("x")).unwrap();
    check(fs::read_dir(&dir).unwrap().count() == 0, "everything removed");
    fs::remove_dir(&dir).unwrap();
    check(!dir.exists(), "scratch directory removed");
    let cwd = std::env::current_dir().unwrap();
    check(cwd.is_absolute(), "current_dir is absolute");
    done()
}
